"""Views of the web UI, one module per subject: cases, items, files."""
