"""The audit log page (``/audit``): who did what and when in the workspace, filterable, with CSV export."""
