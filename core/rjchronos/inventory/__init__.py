"""Inventory and topology: sites, devices of every kind, the event timeline.

Plugins change inventory through :mod:`rjchronos.inventory.service`, which
normalises values, keeps the topology consistent and records events.
"""
