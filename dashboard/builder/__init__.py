"""The builder page area."""
