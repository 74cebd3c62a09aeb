"""Tasks page."""
