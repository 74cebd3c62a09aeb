"""The marketplace's Reflex pages: browse (``/marketplace``), a listing (``/marketplace/[slug]``),
My agents (``/my-agents``), the publisher's dashboard and listing form (``/publisher``,
``/publisher/listing?agent=<id>``) and the admins' report queue (``/admin/reports``).

Pages call the services in ``marketplace/`` from worker threads (``dashboard.shell.db.in_session``)
and use ``dashboard/shell`` (layout, auth, forms, markdown) and nothing else of the dashboard.
"""
