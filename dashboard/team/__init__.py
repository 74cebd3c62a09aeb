"""The team area: members, roles, invitations and workspaces (``/team``), and accepting an
invitation (``/invite/<token>``)."""
