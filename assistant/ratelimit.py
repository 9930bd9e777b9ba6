"""Rate limiting: a token bucket per client (SECURITY.md, "Rate limiting").

A client is its API key or session, else its address. The address is the socket's peer, or, for
a request from a trusted reverse proxy (``RAG_TRUSTED_PROXIES``), the client it names in
``X-Forwarded-For``; :func:`trust_proxies` installs that rewrite (uvicorn's own middleware, so
``X-Forwarded-Proto`` is honoured too and the session cookie gets ``Secure`` behind TLS).

The buckets live in this process, or in Redis when ``RAG_REDIS_URL`` is set, so that several
workers share them (:class:`RedisRateLimiter`; the generation cap stays per process).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .auth import API_PREFIXES

log = logging.getLogger(__name__)

# Non-API paths that cost real work: counted by the rate limiter (the UI's assets are not).
UI_RUN_PREFIXES = ("/gradio_api/queue/join", "/gradio_api/run/", "/gradio_api/call/")


class RateLimiter:
    """A token bucket per client: ``per_minute`` tokens, refilled continuously; LRU-bounded memory."""

    def __init__(
        self, per_minute: int, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_clients = max_clients
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """Take a token: 0.0 when allowed, else the seconds until one is available."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait


# The same token bucket, atomically in Redis (its clock, so every worker and host agrees).
_REDIS_BUCKET = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(b[1]) or capacity
local last = tonumber(b[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return tostring(wait)
"""


class RedisRateLimiter(RateLimiter):
    """The token buckets in Redis (``RAG_REDIS_URL``), shared by every worker that uses that Redis.

    If Redis cannot be reached, this process's own buckets are used (logged), so the service keeps
    limiting rather than failing or letting everything through.
    """

    PREFIX = "plan-assistant:rate:"

    def __init__(self, per_minute: int, url: str, max_clients: int = 10_000) -> None:
        super().__init__(per_minute, max_clients)
        import redis

        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._client: Any = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self._client.register_script(_REDIS_BUCKET)
        self._warned = False

    def take(self, client: str) -> float:
        try:
            wait = float(self._script(keys=[self.PREFIX + client], args=[self.capacity, self.rate]))
        except self._errors as exc:
            if not self._warned:
                log.warning("rate limits: Redis unavailable (%s); using this process's own buckets", exc)
                self._warned = True
            return super().take(client)
        self._warned = False
        return wait


def make_rate_limiter(per_minute: int, redis_url: str = "") -> RateLimiter | None:
    if not per_minute:
        return None
    return RedisRateLimiter(per_minute, redis_url) if redis_url.strip() else RateLimiter(per_minute)


def rate_limited(method: str, path: str) -> bool:
    if path.startswith(API_PREFIXES):
        return True
    return method == "POST" and (path == "/login" or path.startswith(UI_RUN_PREFIXES))


def proxies(spec: str) -> list[str]:
    """``"10.0.0.2, 10.1.0.0/16"`` → addresses and networks (``*`` trusts every peer: avoid)."""
    return [p.strip() for p in spec.split(",") if p.strip()]


def trust_proxies(app: FastAPI, spec: str) -> None:
    """Honour ``X-Forwarded-For``/``-Proto`` from the listed proxies only (none by default)."""
    trusted = proxies(spec)
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)


__all__ = ["RateLimiter", "RedisRateLimiter", "make_rate_limiter", "proxies", "rate_limited", "trust_proxies"]
