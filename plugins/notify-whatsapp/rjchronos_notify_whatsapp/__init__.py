"""rjchronos-notify-whatsapp: approved message templates through the WhatsApp Business Cloud API."""
