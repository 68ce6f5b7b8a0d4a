"""Listing columns that `usreg list --sort` accepts (kept apart from the index so the CLI starts without SQLAlchemy)."""

SORTABLE = ("id", "name", "kind", "year", "access", "license", "tier", "points", "images", "subjects")
