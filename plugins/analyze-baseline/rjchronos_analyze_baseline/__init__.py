"""rjchronos-analyze-baseline: an RJChronos plugin."""
