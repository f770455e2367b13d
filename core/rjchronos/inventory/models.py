"""inventory tables (being written)."""
