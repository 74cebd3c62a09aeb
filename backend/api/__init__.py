"""HTTP routes mounted under /api."""
