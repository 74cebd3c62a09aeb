"""Conversations, messages and the runs that answered them."""
