"""rjchronos-notify-whatsapp: an RJChronos plugin."""
