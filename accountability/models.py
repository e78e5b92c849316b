"""Models of the accountability app (built by later issues)."""
