"""Garbage-collector settings of the app process, applied once start-up is done.

Every query the app builds with SQLAlchemy leaves ~300-2,500 objects in reference cycles
(statement constructs: annotated columns, subquery proxies), which only the cyclic collector
frees. With CPython's default thresholds ``(700, 10, 10)`` those objects were promoted to the
oldest generation after a few queries, and full collections of 76,000-146,000 objects paused the
process for 50-125 ms about once per 100 analytics queries, blocking the event loop (one GIL) and
the query that ran into it (``benchmarks/analytics_query.py``: worst p95 over the page's queries at
1M usage records, 139 ms on SQLite and 150 ms on PostgreSQL).

:data:`GC_THRESHOLDS` lets a query's garbage die young: a young collection every 5,000 net
allocations (most of a finished query's cycles are unreachable by then, so few survive), a middle
one every 5 young ones, a full one every 100 middle ones. Measured side by side on the same
databases: worst p95 41 ms on SQLite and 50 ms on PostgreSQL; the largest pause 9 ms (young) and
20 ms (middle), and no full collection in ~1,000 queries. Thresholds are the documented
``gc.set_threshold`` knobs (Python docs, "gc — Garbage Collector interface").
"""

from __future__ import annotations

import gc

GC_THRESHOLDS = (5_000, 5, 100)
"""``gc.set_threshold`` arguments: net container allocations before a young collection, young
collections before a middle one, middle collections before a full one."""


def settle_heap() -> None:
    """Collect once, move everything alive out of the collector's view (``gc.freeze``: modules,
    LiteLLM's price map, routes; a full collection would otherwise walk them all on the event
    loop) and set :data:`GC_THRESHOLDS`. Call once, when start-up is done; later garbage is still
    collected."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
