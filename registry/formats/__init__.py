"""The common on-disk format that every fetched dataset is converted to (docs/format.md)."""
