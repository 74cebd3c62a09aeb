"""The chat page area."""
