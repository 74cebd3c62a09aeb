"""Stripe mode of billing (on when ``STRIPE_SECRET_KEY`` is set), on the official ``stripe`` SDK.

- :mod:`.client`: the ``StripeClient`` from settings, idempotency keys from our ids.
- :mod:`.catalog`: ``sync_listing_prices`` (Product, monthly Price, Billing Meter, metered Price).
- :mod:`.checkout`: ``create_checkout_session`` (Customer, Checkout Session, Connect fee/destination).
- :mod:`.portal`: ``portal_url`` (Customer Portal); :mod:`.connect`: ``onboarding_link`` (Express).
- :mod:`.metering`: ``send_pending_meter_events`` (metered run charges -> Meter Events, batched).
- :mod:`.reconcile`: ``reconcile_stripe`` (ledger vs meter event summaries).
- :mod:`.webhooks`: ``routes`` (``POST /api/billing/stripe/webhook``), applied by :mod:`.handlers`
  and :mod:`.sync`.
"""
