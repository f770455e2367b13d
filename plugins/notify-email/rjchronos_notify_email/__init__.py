"""rjchronos-notify-email: notifications by email over SMTP."""
