"""``/analytics``: the workspace analytics page (issue 14)."""
