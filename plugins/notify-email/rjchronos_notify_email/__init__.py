"""rjchronos-notify-email: an RJChronos plugin."""
