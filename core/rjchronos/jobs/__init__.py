"""Durable jobs: database rows triggered through a dramatiq broker."""
