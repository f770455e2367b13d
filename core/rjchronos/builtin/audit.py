"""Built-in plugin: audit (being written)."""
