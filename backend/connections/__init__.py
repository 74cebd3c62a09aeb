"""The connection manager: provider connections with encrypted keys."""
