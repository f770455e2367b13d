"""Built-in plugin: jobs (being written)."""
