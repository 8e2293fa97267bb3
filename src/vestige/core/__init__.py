"""Framework-free core of Vestige: hashing, blob storage, custody chain, media inspection.

Nothing in this package imports Django, so it can be tested and reused on its own.
"""
