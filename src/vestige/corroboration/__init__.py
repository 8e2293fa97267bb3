"""Near-duplicate suggestions and judgements, and corroboration by independent sources."""
