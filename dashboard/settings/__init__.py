"""Workspace settings: the Limits & budgets panel and usage totals (``/settings``)."""
