"""Built-in plugin: ui (being written)."""
