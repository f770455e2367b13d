"""jobs tables (being written)."""
