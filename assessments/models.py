"""Models of the assessments app (built by later issues)."""
