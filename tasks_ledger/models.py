"""Models of the tasks_ledger app (built by later issues)."""
