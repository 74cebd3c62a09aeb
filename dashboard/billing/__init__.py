"""The Billing, checkout (test mode) and Earnings pages (services in the top-level ``billing`` package)."""
