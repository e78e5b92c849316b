"""REST API of the accounts app: tokens, the current user and units."""
