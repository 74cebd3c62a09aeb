"""Notifications (Inbox) page."""
