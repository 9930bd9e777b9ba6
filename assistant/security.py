"""The access middleware and its wiring: keys, sessions, rate limits, CORS and the request log.

Everything is off by default and switched on by settings (see SECURITY.md). The parts live in
modules of their own: :mod:`.auth` (keys and scopes), :mod:`.sessions` (signed UI session cookies),
:mod:`.ratelimit` (token buckets, trusted proxies), :mod:`.login` (the login page, safe redirects),
:mod:`.access_log` (the request log, key redaction) and :mod:`.openapi_docs` (documented errors). Here:

* :class:`AccessGuard`, an ASGI middleware: rate limit → log in/out → authenticate → authorise
  (scopes, the Origin of cookie-authenticated writes) → call the app → log the request;
* :func:`harden`, which installs all of it (plus the generation limiter) on the FastAPI app that
  :func:`assistant.api.create_api` builds, so the Gradio UI mounted on that app is covered too.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .access_log import RedactKeys, log_path, log_request, question_of, redact_access_logs
from .auth import (
    ADMIN_SUFFIX,
    READ_ONLY_UI,
    READ_SUFFIX,
    SESSION_COOKIE,
    ApiKey,
    Identity,
    KeyRing,
    Kind,
    classify,
    cookie,
    denial,
    may_export,
    parse_keys,
    require_key,
)
from .config import Settings
from .limits import GenerationLimiter
from .login import login_page, safe_next
from .openapi_docs import document_errors
from .ratelimit import RateLimiter, make_rate_limiter, rate_limited, trust_proxies
from .sessions import Sessions

log = logging.getLogger(__name__)

COOKIE = SESSION_COOKIE
MIN_KEY_CHARS = 16
QUESTION_PATHS = frozenset({"/api/ask", "/api/search", "/v1/chat/completions", "/api/policies/match"})
MAX_LOGIN_BODY = 8192
MAX_CAPTURE = 65536
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FOREIGN_ORIGIN = (
    "跨站请求被拒绝：使用会话 Cookie 的写请求必须来自本站页面。"
    " A cookie-authenticated request from another origin was refused."
)


def _error(path: str, status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if path.startswith("/v1/"):  # what OpenAI clients read
        body["error"] = {"message": detail, "type": "invalid_request_error", "code": status}
    return JSONResponse(body, status_code=status, headers=headers)


def same_origin(headers: Headers) -> bool:
    """Whether the request's ``Origin`` (if any) is this site: its host[:port] is the ``Host`` header."""
    origin = headers.get("origin")
    if origin is None:
        return True  # not sent by a browser page (or a same-origin GET)
    if origin == "null":
        return False
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


class AccessGuard:
    """ASGI middleware: rate limit → authenticate → authorise → call the app → log the request."""

    def __init__(
        self,
        app: ASGIApp,
        keys: KeyRing,
        sessions: Sessions | None = None,
        limiter: RateLimiter | None = None,
        log_questions: bool = False,
    ) -> None:
        self.app = app
        self.keys = keys
        self.sessions = sessions
        self.limiter = limiter
        self.log_questions = log_questions

    def identify(self, headers: Headers) -> Identity:
        return self.keys.identify(headers, self.sessions.lookup if self.sessions else None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            key = self.identify(Headers(scope=scope)).key
            if self.keys and classify(scope["path"]) != "public" and (key is None or key.read_only):
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        path: str = scope["path"]
        method: str = scope["method"]
        headers = Headers(scope=scope)
        client = scope["client"][0] if scope.get("client") else "-"
        who = self.identify(headers)
        key = who.key

        async def respond(response: Response) -> None:
            self._log(scope, response.status_code, started, client, key, None)
            await response(scope, receive, send)

        if self.limiter is not None and rate_limited(method, path):
            wait = self.limiter.take(f"key:{key.id}" if key else f"ip:{client}")
            if wait > 0:
                retry = max(1, math.ceil(wait))
                per_minute = round(self.limiter.capacity)
                detail = f"请求过于频繁：每个客户端每分钟最多 {per_minute} 次，请 {retry} 秒后重试。Too many requests."
                await respond(_error(path, 429, detail, {"Retry-After": str(retry)}))
                return

        if self.keys and path in ("/login", "/logout"):
            await respond(await self._login(scope, receive, method, path, headers))
            return

        kind = classify(path)
        if self.keys and kind in ("ui", "docs") and method in ("GET", "HEAD"):
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            if "key" in query:  # ?key=<key> once: set the session cookie, drop the key from the URL
                rest = urlencode([(k, v) for k, v in query.items() if k != "key"])
                target = safe_next(path + (f"?{rest}" if rest else ""))
                await respond(self._session(scope, self.keys.find(query["key"]), target))
                return

        if self.keys and who.via == "cookie" and method in UNSAFE_METHODS and not same_origin(headers):
            await respond(self._denied(scope, headers, kind, method, path, 403, FOREIGN_ORIGIN))
            return

        denied = denial(self.keys, key, who.sent, method, path, client)
        if denied is not None:
            status, message = denied
            await respond(self._denied(scope, headers, kind, method, path, status, message))
            return

        status_holder = [0]
        captured = bytearray()
        capture = self.log_questions and method == "POST" and path in QUESTION_PATHS

        async def receive_and_capture() -> Message:
            message = await receive()
            if capture and message["type"] == "http.request" and len(captured) < MAX_CAPTURE:
                captured.extend(message.get("body", b"")[: MAX_CAPTURE - len(captured)])
            return message

        async def send_and_watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive_and_capture, send_and_watch)
        finally:
            if kind == "api" or (status_holder[0] >= 400 and not path.startswith("/gradio_api/heartbeat")):
                question = question_of(bytes(captured)) if capture else None
                self._log(scope, status_holder[0] or 500, started, client, key, question)

    def _denied(
        self, scope: Scope, headers: Headers, kind: Kind, method: str, path: str, status: int, message: str
    ) -> Response:
        root = scope.get("root_path", "")
        wants_html = "text/html" in headers.get("accept", "")
        if kind in ("ui", "docs") and wants_html:
            if status == 401 and method in ("GET", "HEAD"):
                query = scope.get("query_string", b"").decode("latin-1")
                target = path + (f"?{query}" if query else "")
                return RedirectResponse(f"{root}/login?{urlencode({'next': target})}", status_code=303)
            return self._page(status, message, path, root)
        headers_out = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return _error(path, status, message, headers_out)

    def _page(self, status: int, message: str, next_path: str, root: str) -> Response:
        hours = self.sessions.max_age / 3600 if self.sessions else 24
        return login_page(status, message, next_path, root, hours)

    async def _login(
        self, scope: Scope, receive: Receive, method: str, path: str, headers: Headers
    ) -> Response:
        root = scope.get("root_path", "")
        if path == "/logout":
            token = cookie(headers, COOKIE)
            if token and self.sessions is not None:
                self.sessions.revoke(token)  # the cookie stops working everywhere, not only here
            response: Response = RedirectResponse(f"{root}/login", status_code=303)
            response.delete_cookie(COOKIE, path="/")
            return response
        if method in ("GET", "HEAD"):
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            return self._page(200, "", query.get("next", "/"), root)
        if method != "POST":
            return _error(path, 405, "只支持 GET 和 POST。Method not allowed.")
        if not same_origin(headers):  # no logging in from another site's form (login CSRF)
            return self._page(403, FOREIGN_ORIGIN, "/", root)
        body = bytearray()
        while True:
            message = await receive()
            body.extend(message.get("body", b""))
            if len(body) > MAX_LOGIN_BODY:
                return self._page(413, "请求过大。", "/", root)
            if not message.get("more_body"):
                break
        form = parse_qs(body.decode("utf-8", "replace"))
        next_path = safe_next((form.get("next") or ["/"])[0])
        return self._session(scope, self.keys.find((form.get("key") or [""])[0]), next_path)

    def _session(self, scope: Scope, key: ApiKey | None, target: str) -> Response:
        """Log ``key`` in and go to ``target`` (a same-site path, already checked with :func:`safe_next`)."""
        root = scope.get("root_path", "")
        if key is None:
            return self._page(401, "密钥无效，请重试。", target, root)
        if key.read_only:
            return self._page(403, READ_ONLY_UI, "/", root)
        assert self.sessions is not None
        response = RedirectResponse(f"{root}{target}", status_code=303)
        response.set_cookie(
            COOKIE,
            self.sessions.issue(key),
            max_age=self.sessions.max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=scope.get("scheme") == "https",
        )
        return response

    def _log(
        self,
        scope: Scope,
        status: int,
        started: float,
        client: str,
        key: ApiKey | None,
        question: str | None,
    ) -> None:
        log_request(scope, status, (time.perf_counter() - started) * 1000, client, key, question)


# --------------------------------------------------------------------------- wiring


def _origins(spec: str) -> list[str]:
    return [o.strip().rstrip("/") for o in spec.split(",") if o.strip()]


def export_allowed(app: FastAPI, headers: Headers, client: str | None) -> bool:
    """May this request export every user's feedback? (The UI asks, to show or hide the button.)"""
    keys: KeyRing = app.state.keyring
    sessions: Sessions | None = app.state.sessions
    who = keys.identify(headers, sessions.lookup if sessions else None)
    return may_export(keys, who.key, client)


def harden(app: FastAPI, settings: Settings) -> None:
    """Install the generation limiter, access control, sessions, rate limiting, trusted proxies, CORS,
    request logging and the documented error responses on ``app``. Call it after the app's other
    middleware is added."""
    keys = KeyRing.from_settings(settings)
    app.state.keyring = keys
    app.state.sessions = Sessions.from_settings(keys, settings) if keys else None
    app.state.limiter = GenerationLimiter.from_settings(settings)
    per_minute = settings.rate_limit_per_minute
    app.state.rate_limiter = make_rate_limiter(per_minute, settings.redis_url)
    app.add_middleware(
        AccessGuard,
        keys=keys,
        sessions=app.state.sessions,
        limiter=app.state.rate_limiter,
        log_questions=settings.log_questions,
    )
    origins = _origins(settings.cors_origins)
    if origins:  # outside the guard, so preflights and error responses get CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            max_age=600,
        )
    trust_proxies(app, settings.trusted_proxies)  # outermost: every layer sees the real client
    document_errors(app)
    redact_access_logs()
    warn_weak_keys(settings)
    log.info(
        "access: API keys %s; rate limit %s; CORS %s; trusted proxies %s; answers: at most %d at once,"
        " %gs queue, %gs timeout; question text %s in the request log",
        f"on ({len(keys.keys)} keys, {sum(k.read_only for k in keys.keys)} read-only,"
        f" {sum(k.admin for k in keys.keys)} admin)"
        if keys
        else "off",
        (f"{per_minute}/min per client" + (" (shared through Redis)" if settings.redis_url else ""))
        if per_minute
        else "off",
        ", ".join(origins) if origins else "off (same origin only)",
        settings.trusted_proxies or "none",
        settings.max_concurrent_generations,
        settings.queue_timeout,
        settings.request_timeout,
        "included" if settings.log_questions else "omitted",
    )


def warn_weak_keys(settings: Settings) -> None:
    for raw in settings.api_keys.split(","):
        secret = raw.strip().removesuffix(READ_SUFFIX).removesuffix(ADMIN_SUFFIX)
        if secret and len(secret) < MIN_KEY_CHARS:
            log.warning(
                "an API key (id %s) is shorter than %d characters: use long random keys "
                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')",
                hashlib.sha256(secret.encode()).hexdigest()[:8],
                MIN_KEY_CHARS,
            )


__all__ = [
    "COOKIE",
    "AccessGuard",
    "ApiKey",
    "KeyRing",
    "RateLimiter",
    "RedactKeys",
    "classify",
    "denial",
    "document_errors",
    "export_allowed",
    "harden",
    "log_path",
    "parse_keys",
    "require_key",
]
