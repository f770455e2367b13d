"""customers tables (being written)."""
