"""rjchronos-notify-telegram: notifications through the Telegram Bot API."""
