"""Accounts: sign-up, sign-in, sessions, workspaces and the actor of every service call."""
