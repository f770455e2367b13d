"""RJChronos SDK (being written)."""
