"""Agents: blueprints, immutable versions, templates and validation."""
