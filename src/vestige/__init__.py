"""Vestige: preserve evidence of atrocities and turn it into accountability."""

__version__ = "0.1.0"
