"""Agent Hub domain layer (no Reflex, no Stripe)."""
