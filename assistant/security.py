"""Access control, rate limiting, CORS and request logging for the whole app: API, ``/v1`` and the UI.

Everything here is off by default and switched on by settings (see SECURITY.md):

* ``RAG_API_KEYS``: comma-separated keys. API clients send ``Authorization: Bearer <key>`` or
  ``X-API-Key: <key>``; a browser logs in once at ``/login`` (or opens any UI page with ``?key=<key>``)
  and gets an HttpOnly, SameSite=Lax session cookie derived from the key (never the key itself).
  Keys are compared in constant time (SHA-256 digests, so not even the length leaks). A key with
  the suffix ``:read`` is read-only: it may ask, search and read, but not write or export feedback
  and not use the UI (which records feedback). No or an unknown key → 401; a valid key without the
  right scope → 403. ``/health`` stays public for load balancers.
* ``RAG_RATE_LIMIT_PER_MINUTE``: a token bucket per client (the API key, else the client IP) over
  the API, ``/v1``, the UI's run endpoints and ``/login``; an empty bucket → 429 with ``Retry-After``.
* ``RAG_CORS_ORIGINS``: browser origins allowed to call the API (none by default).
* Request log (logger ``assistant.access``): method, path (no query string), status, time, client
  and key id (a hash prefix, never the key). Question text only with ``RAG_LOG_QUESTIONS=true``.

:func:`harden` installs all of it (plus the generation limiter and documented error responses) on
the FastAPI app that :func:`assistant.api.create_api` builds, so the Gradio UI mounted on that app
is covered too.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, parse_qsl, urlencode

from fastapi import FastAPI, Request
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import Settings
from .errors import AuthError, ForbiddenError
from .limits import GenerationLimiter

log = logging.getLogger(__name__)
access_log = logging.getLogger("assistant.access")

COOKIE = "plan_assistant_session"
COOKIE_MAX_AGE = 30 * 24 * 3600
READ_SUFFIX = ":read"
MIN_KEY_CHARS = 16
API_PREFIXES = ("/api/", "/v1/")
# /health for load balancers; the web-app manifest and icon, which browsers fetch without cookies.
PUBLIC_PATHS = frozenset({"/health", "/manifest.json", "/favicon.ico"})
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
# Routes a read-only key may not use (besides the whole UI).
WRITE_ROUTES = frozenset({("POST", "/api/feedback"), ("GET", "/api/feedback.csv")})
# Non-API paths that cost real work: counted by the rate limiter (the UI's assets are not).
UI_RUN_PREFIXES = ("/gradio_api/queue/join", "/gradio_api/run/", "/gradio_api/call/")
QUESTION_PATHS = frozenset({"/api/ask", "/api/search", "/v1/chat/completions", "/api/policies/match"})
MAX_LOGIN_BODY = 8192
MAX_CAPTURE = 65536
MAX_LOGGED_QUESTION = 200

Kind = Literal["public", "api", "docs", "ui"]


# --------------------------------------------------------------------------- keys


def _digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


@dataclass(frozen=True)
class ApiKey:
    digest: bytes  # SHA-256 of the secret; the secret itself is not kept
    read_only: bool
    id: str  # short hash prefix: safe to log, tells keys apart
    session: str  # the UI session cookie value for this key

    @property
    def scope(self) -> str:
        return "read" if self.read_only else "full"


def parse_keys(spec: str) -> tuple[ApiKey, ...]:
    """``"k1, k2:read"`` → keys; a ``:read`` suffix makes a read-only key."""
    keys = []
    for raw in spec.split(","):
        raw = raw.strip()
        if not raw:
            continue
        read_only = raw.endswith(READ_SUFFIX)
        secret = raw[: -len(READ_SUFFIX)] if read_only else raw
        if not secret:
            raise ValueError("RAG_API_KEYS contains an empty key (':read' alone)")
        data = secret.encode("utf-8", "surrogateescape")
        session = hashlib.sha256(b"plan-assistant-ui-session\0" + data).hexdigest()
        keys.append(ApiKey(_digest(data), read_only, hashlib.sha256(data).hexdigest()[:8], session))
    return tuple(keys)


class KeyRing:
    """The configured keys; lookups compare every key in constant time (no early exit)."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self.keys = tuple(keys)
        self._sessions = tuple((_digest(k.session.encode()), k) for k in self.keys)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        return cls(parse_keys(settings.api_keys))

    def __bool__(self) -> bool:
        return bool(self.keys)

    def find(self, supplied: str | None) -> ApiKey | None:
        if not supplied:
            return None
        candidate = _digest(supplied.encode("utf-8", "surrogateescape"))
        found = None
        for key in self.keys:
            if hmac.compare_digest(key.digest, candidate):
                found = key
        return found

    def find_session(self, token: str | None) -> ApiKey | None:
        if not token:
            return None
        candidate = _digest(token.encode("utf-8", "surrogateescape"))
        found = None
        for digest, key in self._sessions:
            if hmac.compare_digest(digest, candidate):
                found = key
        return found

    def identify(self, headers: Headers) -> tuple[ApiKey | None, bool]:
        """The key a request carries (header, bearer token or session cookie), and whether it sent one."""
        supplied = headers.get("x-api-key")
        auth = headers.get("authorization", "")
        if supplied is None and auth[:7].lower() == "bearer ":
            supplied = auth[7:].strip()
        if supplied:
            return self.find(supplied), True
        token = _cookie(headers, COOKIE)
        if token:
            return self.find_session(token), True
        return None, False


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v.strip()
    return None


MISSING_KEY = (
    "缺少 API 密钥：请提供 Authorization: Bearer <key> 或 X-API-Key 请求头（浏览器请先访问 /login 登录）。"
    " Missing API key."
)
UNKNOWN_KEY = "API 密钥无效。Unknown API key."
READ_ONLY = "该密钥是只读密钥（:read），不能提交或导出反馈。This key is read-only."
READ_ONLY_UI = "只读密钥（:read）不能登录界面（界面会记录反馈），请使用完整权限的密钥。This key is read-only."


def classify(path: str) -> Kind:
    if path in PUBLIC_PATHS:
        return "public"
    if path.startswith(API_PREFIXES):
        return "api"
    if path in DOCS_PATHS:
        return "docs"
    return "ui"


def denial(keys: KeyRing, key: ApiKey | None, sent: bool, method: str, path: str) -> tuple[int, str] | None:
    """Why a request may not pass: (status, message), or None when it may."""
    kind = classify(path)
    if not keys or kind == "public":
        return None
    if key is None:
        return 401, UNKNOWN_KEY if sent else MISSING_KEY
    if key.read_only and kind == "ui":
        return 403, READ_ONLY_UI
    if key.read_only and (method, path) in WRITE_ROUTES:
        return 403, READ_ONLY
    return None


def require_key(request: Request) -> None:
    """Route dependency for /api and /v1 (the same rules as :class:`AccessGuard`, checked again here
    so routes stay protected even in an app assembled without the middleware)."""
    keys: KeyRing | None = getattr(request.app.state, "keyring", None)
    if not keys:
        return
    key, sent = keys.identify(request.headers)
    denied = denial(keys, key, sent, request.method, request.url.path)
    if denied is None:
        return
    status, message = denied
    raise (AuthError if status == 401 else ForbiddenError)(message)


# --------------------------------------------------------------------------- rate limiting


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


# --------------------------------------------------------------------------- the middleware


def _error(path: str, status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if path.startswith("/v1/"):  # what OpenAI clients read
        body["error"] = {"message": detail, "type": "invalid_request_error", "code": status}
    return JSONResponse(body, status_code=status, headers=headers)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


LOGIN_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>登录 · 规划纲要问答助手</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK SC", sans-serif; background: #f5f6f8; margin: 0; }}
main {{ max-width: 24rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: 12px;
        box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.3rem; margin-top: 0; }}
label {{ display: block; margin: 1rem 0 .3rem; }}
input[type=password] {{ width: 100%; box-sizing: border-box; padding: .6rem; font-size: 1rem; }}
button {{ margin-top: 1rem; width: 100%; padding: .6rem; font-size: 1rem; cursor: pointer; }}
.error {{ color: #b42318; }}
.hint {{ color: #667085; font-size: .85rem; }}
</style></head>
<body><main>
<h1>规划纲要问答助手</h1>
<p class="error" role="alert">{message}</p>
<form method="post" action="{action}">
<label for="key">访问密钥</label>
<input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{next}">
<button type="submit">登录</button>
</form>
<p class="hint">密钥由管理员提供。登录后浏览器保存一个会话 Cookie（30 天有效），访问 /logout 退出。</p>
</main></body></html>
"""


def login_page(status: int, message: str = "", next_path: str = "/", root_path: str = "") -> HTMLResponse:
    page = LOGIN_PAGE.format(
        message=html.escape(message),
        action=html.escape(f"{root_path}/login"),
        next=html.escape(_safe_next(next_path)),
    )
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


class AccessGuard:
    """ASGI middleware: rate limit → authenticate → authorise → call the app → log the request."""

    def __init__(
        self, app: ASGIApp, keys: KeyRing, limiter: RateLimiter | None = None, log_questions: bool = False
    ) -> None:
        self.app = app
        self.keys = keys
        self.limiter = limiter
        self.log_questions = log_questions

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            key, _ = self.keys.identify(Headers(scope=scope))
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
        key, sent = self.keys.identify(headers)

        if self.limiter is not None and rate_limited(method, path):
            wait = self.limiter.take(f"key:{key.id}" if key else f"ip:{client}")
            if wait > 0:
                retry = max(1, math.ceil(wait))
                per_minute = round(self.limiter.capacity)
                detail = f"请求过于频繁：每个客户端每分钟最多 {per_minute} 次，请 {retry} 秒后重试。Too many requests."
                self._log(method, path, 429, started, client, key, None)
                await _error(path, 429, detail, {"Retry-After": str(retry)})(scope, receive, send)
                return

        if self.keys and path in ("/login", "/logout"):
            response = await self._login(scope, receive, method, path, headers)
            self._log(method, path, response.status_code, started, client, key, None)
            await response(scope, receive, send)
            return

        kind = classify(path)
        if self.keys and kind in ("ui", "docs") and method in ("GET", "HEAD"):
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
            if "key" in query:  # ?key=<key> once: set the session cookie, drop the key from the URL
                rest = urlencode([(k, v) for k, v in query.items() if k != "key"])
                target = f"{scope.get('root_path', '')}{path}" + (f"?{rest}" if rest else "")
                response = self._session(scope, self.keys.find(query["key"]), target)
                self._log(method, path, response.status_code, started, client, key, None)
                await response(scope, receive, send)
                return

        denied = denial(self.keys, key, sent, method, path)
        if denied is not None:
            status, message = denied
            response = self._denied(scope, headers, kind, method, path, status, message)
            self._log(method, path, response.status_code, started, client, key, None)
            await response(scope, receive, send)
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
                question = _question_of(bytes(captured)) if capture else None
                self._log(method, path, status_holder[0] or 500, started, client, key, question)

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
            return login_page(status, message, path, root)
        headers_out = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return _error(path, status, message, headers_out)

    async def _login(
        self, scope: Scope, receive: Receive, method: str, path: str, headers: Headers
    ) -> Response:
        root = scope.get("root_path", "")
        if path == "/logout":
            response: Response = RedirectResponse(f"{root}/login", status_code=303)
            response.delete_cookie(COOKIE, path="/")
            return response
        if method in ("GET", "HEAD"):
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            return login_page(200, "", query.get("next", "/"), root)
        if method != "POST":
            return _error(path, 405, "只支持 GET 和 POST。Method not allowed.")
        body = bytearray()
        while True:
            message = await receive()
            body.extend(message.get("body", b""))
            if len(body) > MAX_LOGIN_BODY:
                return login_page(413, "请求过大。", "/", root)
            if not message.get("more_body"):
                break
        form = parse_qs(body.decode("utf-8", "replace"))
        next_path = _safe_next((form.get("next") or ["/"])[0])
        return self._session(scope, self.keys.find((form.get("key") or [""])[0]), f"{root}{next_path}")

    def _session(self, scope: Scope, key: ApiKey | None, target: str) -> Response:
        root = scope.get("root_path", "")
        if key is None:
            return login_page(401, "密钥无效，请重试。", target[len(root) :] or "/", root)
        if key.read_only:
            return login_page(403, READ_ONLY_UI, "/", root)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            key.session,
            max_age=COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=scope.get("scheme") == "https",
        )
        return response

    def _log(
        self,
        method: str,
        path: str,
        status: int,
        started: float,
        client: str,
        key: ApiKey | None,
        question: str | None,
    ) -> None:
        ms = (time.perf_counter() - started) * 1000
        line = f"{method} {path} {status} {ms:.1f}ms client={client} key={key.id if key else '-'}"
        if question is not None:
            line += f" question={question!r}"
        access_log.log(logging.WARNING if status in (401, 403, 429) else logging.INFO, line)


def _question_of(body: bytes) -> str | None:
    """The question text of an /api/ask, /api/search, /v1/chat/completions or policy-match body."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    text: Any = data.get("question") or data.get("query")
    if text is None and isinstance(data.get("messages"), list):
        users = [m for m in data["messages"] if isinstance(m, dict) and m.get("role") == "user"]
        text = users[-1].get("content") if users else None
    if text is None and isinstance(data.get("profile"), dict):
        text = data["profile"].get("description")
    if not isinstance(text, str):
        return None
    return text[:MAX_LOGGED_QUESTION]


# --------------------------------------------------------------------------- log redaction


_KEY_PARAM = re.compile(r"([?&]key=)[^&\s\"]*")


class RedactKeys(logging.Filter):
    """Hide ``?key=…`` in log lines (uvicorn's access log prints full URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _KEY_PARAM.sub(r"\1***", a) if isinstance(a, str) and "key=" in a else a for a in record.args
            )
        return True


def redact_access_logs() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactKeys) for f in logger.filters):
        logger.addFilter(RedactKeys())


# --------------------------------------------------------------------------- OpenAPI: documented errors

_ERROR_SCHEMA = {
    "title": "ErrorResponse",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "A clear message (Chinese, with an English gist)."},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "error": {"type": "object", "description": "OpenAI-style error object (only under /v1)."},
    },
}
_ERROR_TEXT = {
    "400": "Malformed JSON body.",
    "401": "No or unknown API key (only when RAG_API_KEYS is set).",
    "403": "A read-only key (`:read`) on a write route.",
    "413": "Request body too large.",
    "415": "The body is not JSON.",
    "422": "Invalid parameters (which field, and why).",
    "429": "Rate limit (RAG_RATE_LIMIT_PER_MINUTE); see Retry-After.",
    "502": "The configured LLM service failed.",
    "503": "Loading, every generation slot busy (Retry-After), or the feedback store unavailable.",
    "504": "The answer took longer than RAG_REQUEST_TIMEOUT.",
}
_GENERATING = frozenset({"/api/ask", "/v1/chat/completions"})


def document_errors(app: FastAPI) -> None:
    """Add the error responses every route can give (``{"detail": str}``) to the OpenAPI schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema and app.openapi_schema.get("x-errors-documented"):
            return app.openapi_schema
        schema = build()
        schema.setdefault("components", {}).setdefault("schemas", {})["ErrorResponse"] = _ERROR_SCHEMA
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith(API_PREFIXES):
                continue
            for method, op in operations.items():
                if not isinstance(op, dict) or "responses" not in op:
                    continue
                codes = ["401", "403", "422", "429", "503"]
                if "requestBody" in op:
                    codes += ["400", "413", "415"]
                if path in _GENERATING:
                    codes += ["502", "504"]
                if method == "post" and path == "/v1/chat/completions":
                    ok = op["responses"].setdefault("200", {"description": "OK"})
                    # each server-sent event (as SSE-aware clients and schemathesis parse it):
                    # `data:` a chat.completion.chunk JSON, the last one `[DONE]`
                    ok.setdefault("content", {})["text/event-stream"] = {
                        "schema": {
                            "type": "object",
                            "description": "`stream: true`: one server-sent event.",
                            "properties": {"event": {"type": "string"}, "data": {"type": "string"}},
                            "required": ["data"],
                        }
                    }
                for code in codes:
                    existing = op["responses"].get(code, {})
                    op["responses"][code] = {
                        "description": existing.get("description") or _ERROR_TEXT[code],
                        "content": ref,
                    }
        schema["x-errors-documented"] = True
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


# --------------------------------------------------------------------------- wiring


def _origins(spec: str) -> list[str]:
    return [o.strip().rstrip("/") for o in spec.split(",") if o.strip()]


def harden(app: FastAPI, settings: Settings) -> None:
    """Install the generation limiter, access control, rate limiting, CORS, request logging and the
    documented error responses on ``app``. Call it after the app's other middleware is added."""
    keys = KeyRing.from_settings(settings)
    app.state.keyring = keys
    app.state.limiter = GenerationLimiter.from_settings(settings)
    per_minute = settings.rate_limit_per_minute
    app.state.rate_limiter = RateLimiter(per_minute) if per_minute else None
    app.add_middleware(
        AccessGuard,
        keys=keys,
        limiter=app.state.rate_limiter,
        log_questions=settings.log_questions,
    )
    origins = _origins(settings.cors_origins)
    if origins:  # outermost, so preflights and error responses get CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "X-API-Key", "Content-Type"],
            max_age=600,
        )
    document_errors(app)
    redact_access_logs()
    warn_weak_keys(settings)
    log.info(
        "access: API keys %s; rate limit %s; CORS %s; answers: at most %d at once, %gs queue, %gs timeout;"
        " question text %s in the request log",
        f"on ({len(keys.keys)} keys, {sum(k.read_only for k in keys.keys)} read-only)" if keys else "off",
        f"{per_minute}/min per client" if per_minute else "off",
        ", ".join(origins) if origins else "off (same origin only)",
        settings.max_concurrent_generations,
        settings.queue_timeout,
        settings.request_timeout,
        "included" if settings.log_questions else "omitted",
    )


def warn_weak_keys(settings: Settings) -> None:
    for raw in settings.api_keys.split(","):
        secret = raw.strip().removesuffix(READ_SUFFIX)
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
    "classify",
    "denial",
    "document_errors",
    "harden",
    "parse_keys",
    "require_key",
]
