"""Inventory and topology: sites, devices of every kind, the event timeline."""
