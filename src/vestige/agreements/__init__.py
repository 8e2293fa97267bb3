"""Ceasefire agreements as data, and incidents linked to their provisions as alleged violations."""
