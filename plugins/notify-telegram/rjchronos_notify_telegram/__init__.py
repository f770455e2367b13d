"""rjchronos-notify-telegram: an RJChronos plugin."""
