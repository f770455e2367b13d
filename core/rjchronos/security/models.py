"""security tables (being written)."""
