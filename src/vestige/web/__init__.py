"""The server-rendered web UI: pages for cases, items and custody."""
