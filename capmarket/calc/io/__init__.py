"""Reading, validating and writing case directories (case-format.md)."""
