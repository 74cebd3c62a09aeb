"""The Agent Hub web app (Reflex): pages, layout and HTTP routes."""
