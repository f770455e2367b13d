"""rjchronos-notify-sms: SMS through any HTTP gateway, described by request templates."""
