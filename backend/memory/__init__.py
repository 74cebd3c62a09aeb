"""Agent knowledge bases and long-term memory on LanceDB: ingestion, hybrid retrieval, citations.

Modules: ``tenancy`` (scopes and the tenant filter), ``rows`` (row shapes), ``store`` (LanceDB
tables behind the tenant filter), ``parsing`` and ``chunking``
(files to chunks), ``knowledge`` (sources the builder adds), ``ingest`` (parse -> chunk ->
index), ``embedder`` (the workspace's embedding model, re-embedding), ``conversation``
(long-term memories), ``retrieval`` (BM25 + vectors fused by RRF, context for a run) and
``worker`` (the in-process background worker).
"""
