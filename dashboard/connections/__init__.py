"""The connections page area."""
