"""Evidence: items, derivatives, the custody log, import, verification and export bundles."""
