"""The common on-disk format that every fetched dataset is converted to (see DESIGN.md, Common format)."""

CHECKS_SCHEMA = "usreg-checks/1"
