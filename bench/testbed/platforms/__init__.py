"""Local stand-ins for the platforms' public APIs (YouTube Data API v3, Twitch chat + Helix).

Each follows the request and response shapes of the platform's own reference (paths, query
parameters, JSON fields, error bodies, status codes; the pages are cited in each module), is
stateful enough to test a connector — paging, polling intervals, expiring tokens, quota and
rate-limit answers, going down and coming back on the same port — and listens on 127.0.0.1
only.  Used by ``tests/studio/connectors`` and by benchmarks; imports nothing from ``tests``.
"""
