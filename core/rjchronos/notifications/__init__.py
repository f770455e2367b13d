"""Notification channels, message templates and durable deliveries (``builtin.notifications``)."""
