"""Watched sources: RSS/Atom feeds and web pages checked on a schedule, their new entries
captured into the case, and captured URLs re-checked for removal at source."""
