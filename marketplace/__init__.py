"""Marketplace: listings, search, reviews and their pages (see docs/architecture.md)."""
