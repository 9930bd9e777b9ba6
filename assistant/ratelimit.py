"""Rate limiting: a token bucket per client (SECURITY.md, "Rate limiting").

A client is its API key or session, else its address. The address is the socket's peer, or, for
a request from a trusted reverse proxy (``RAG_TRUSTED_PROXIES``), the client it names in
``X-Forwarded-For``; :func:`trust_proxies` installs that rewrite (uvicorn's own middleware, so
``X-Forwarded-Proto`` is honoured too and the session cookie gets ``Secure`` behind TLS).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .auth import API_PREFIXES

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


__all__ = ["RateLimiter", "proxies", "rate_limited", "trust_proxies"]
