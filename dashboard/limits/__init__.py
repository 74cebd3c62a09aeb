"""Budgets and rate limits: one state mixin and one card, shared by Settings and the agent builder."""
