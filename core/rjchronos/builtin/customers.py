"""Built-in plugin: customers (being written)."""
