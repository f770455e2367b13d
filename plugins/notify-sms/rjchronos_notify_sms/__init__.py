"""rjchronos-notify-sms: an RJChronos plugin."""
