"""Security primitives: secret vault, password hashing, log redaction."""
