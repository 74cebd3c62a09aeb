"""The marketplace: publish a pinned agent version as a listing, discover it signed out, try it,
subscribe, review, report. Services only here (no Reflex); pages live in ``marketplace/pages``.

Every function takes ``session`` (a ``backend.db.session_scope()``; call from a thread, never the
event loop) and keyword-only arguments; signed-in callers pass ``actor: Actor``. Access errors are
``backend.accounts.actor.NotFound`` / ``PermissionDenied``; input errors ``ListingInvalid``
(``.errors`` per form field); rule errors ``MarketplaceError`` and its subclasses
``EntitlementRefused``, ``ReviewNotAllowed``, ``TryLimitReached`` (``marketplace.errors``).
``str(exc)`` of each is a sentence fit to show. Return types are frozen dataclasses of
``marketplace.schemas``; none carries instructions, knowledge, tools' configuration, secrets,
connection or model of an agent (only the publisher's own ``PublisherListing`` names its connection).

API overview
------------
Discover (public, ``viewer`` None when signed out):
    ``search.search_listings(query, category, sort, page, per_page) -> SearchPage``
    ``catalog.listing_detail(slug, viewer) -> ListingDetail`` (card, description markdown, examples,
    tools + "what data leaves", version + changelog, trust figures, reviews, viewer flags,
    ``meta_description``); ``catalog.categories()``; ``schemas.SORT_KEYS``.
Publish (owners/admins of the agent's workspace):
    ``listings.save_listing(actor, agent_id, data: ListingInput) -> PublisherListing`` (create draft /
    edit), ``listings.listing_input(actor, listing_id) -> ListingInput`` (fill the form),
    ``listings.publish_listing(actor, listing_id)``, ``listings.publish_version(actor, listing_id,
    changelog, version=None)``, ``listings.unlist_listing(actor, listing_id)``,
    ``listings.listing_for_agent(actor, agent_id) -> PublisherListing | None`` (builder tab),
    ``listings.publisher_listings(actor) -> list[PublisherListing]`` (``/publisher``),
    ``validation.CATEGORIES``.
Subscribe and run (any signed-in user):
    ``subscriptions.subscribe(actor, listing_id) -> SubscriptionView`` (free at once; paid
    opens a checkout: ``SubscriptionView.checkout_url``, ``billing.checkout``),
    ``subscriptions.unsubscribe``, ``subscriptions.my_subscriptions(actor)`` ("My agents"),
    ``subscriptions.subscription_for(actor, listing_id)``,
    ``subscriptions.subscriber_principal(actor, listing_id) -> RunPrincipal`` (call before EVERY run,
    then ``backend.runtime.run.run_agent(principal=..., conversation_id=..., user_text=...)``),
    ``subscriptions.start_conversation(actor, listing_id) -> ConversationView`` (pinned version),
    ``subscriptions.subscriber_conversations`` / ``subscriber_messages`` (history, also after canceling).
Try it (anyone; ``trial.Visitor(browser_id, ip, user_id)``):
    ``trial.start_trial(listing_id, visitor) -> ConversationView``,
    ``trial.trial_principal(listing_id, visitor) -> RunPrincipal`` (counts one try; raises
    ``TryLimitReached``), ``trial.tries_left(listing_id, visitor)``, ``trial.trial_messages``.
Reviews: ``reviews.save_review(actor, listing_id, stars, text)`` (create or edit),
    ``reviews.reply_to_review(actor, review_id, reply)`` (publisher, once), ``reviews.list_reviews``.
Reports and admins: ``moderation.report_listing`` / ``report_review(actor, id, reason)``,
    ``moderation.report_queue(actor, status)``, ``resolve_report``, ``suspend_listing``,
    ``reinstate_listing``, ``is_platform_admin(user_id)`` (``agenthub make-admin EMAIL`` sets the flag).
"""
