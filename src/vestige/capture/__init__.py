"""Web capture: requests to preserve URLs, their runs and what they produced (see service.py)."""
