"""Customers, plans and the sources they are synced from."""
