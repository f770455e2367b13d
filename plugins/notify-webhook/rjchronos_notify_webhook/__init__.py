"""rjchronos-notify-webhook: notifications as signed JSON POSTs to an HTTP endpoint."""
