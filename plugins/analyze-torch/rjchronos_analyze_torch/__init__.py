"""rjchronos-analyze-torch: analyzers with torch (imported lazily, only when a model runs)."""
