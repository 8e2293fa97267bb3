"""One search across the evidence and the case graph, insensitive to diacritics and script."""
