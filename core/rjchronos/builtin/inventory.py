"""Built-in plugin: inventory (being written)."""
