"""API keys and scopes: who may call what (SECURITY.md, "Access control").

``RAG_API_KEYS`` is a comma-separated list; a suffix sets the key's scope: none = full (ask, read,
give feedback, use the UI), ``:read`` = read-only (no feedback writes, no export, no UI), ``:admin`` =
full plus the feedback export. The server keeps only SHA-256 digests and compares them in constant
time (no early exit, so neither which key nor its length leaks). Logs show :attr:`ApiKey.id`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from fastapi import Request
from starlette.datastructures import Headers

from .config import Settings
from .errors import AuthError, ForbiddenError

READ_SUFFIX = ":read"
ADMIN_SUFFIX = ":admin"
MIN_KEY_CHARS = 16
API_PREFIXES = ("/api/", "/v1/")
# /health for load balancers; the web-app manifest and icon, which browsers fetch without cookies.
PUBLIC_PATHS = frozenset({"/health", "/manifest.json", "/favicon.ico"})
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
# Routes a read-only key may not use (besides the whole UI).
WRITE_ROUTES = frozenset({("POST", "/api/feedback"), ("GET", "/api/feedback.csv")})
# Routes only an admin key may use: every user's questions, answers and comments.
ADMIN_ROUTES = frozenset({("GET", "/api/feedback.csv")})
LOOPBACK = ("127.0.0.1", "::1", "localhost")

Kind = Literal["public", "api", "docs", "ui"]
Scope = Literal["read", "full", "admin"]
Via = Literal["header", "cookie"]

MISSING_KEY = (
    "缺少 API 密钥：请提供 Authorization: Bearer <key> 或 X-API-Key 请求头（浏览器请先访问 /login 登录）。"
    " Missing API key."
)
UNKNOWN_KEY = "API 密钥无效。Unknown API key."
READ_ONLY = "该密钥是只读密钥（:read），不能提交或导出反馈。This key is read-only."
READ_ONLY_UI = "只读密钥（:read）不能登录界面（界面会记录反馈），请使用完整权限的密钥。This key is read-only."
ADMIN_ONLY = (
    "导出反馈需要管理员密钥（RAG_API_KEYS 中带 :admin 后缀的密钥）；未配置密钥时仅限本机访问。"
    " Exporting feedback needs an admin key."
)


def digest(value: bytes) -> bytes:
    return hashlib.sha256(value).digest()


@dataclass(frozen=True)
class ApiKey:
    digest: bytes  # SHA-256 of the secret; the secret itself is not kept
    scope: Scope
    id: str  # short hash prefix: safe to log, tells keys apart

    @property
    def read_only(self) -> bool:
        return self.scope == "read"

    @property
    def admin(self) -> bool:
        return self.scope == "admin"


def parse_keys(spec: str) -> tuple[ApiKey, ...]:
    """``"k1, k2:read, k3:admin"`` → keys with their scopes."""
    keys = []
    for raw in spec.split(","):
        raw = raw.strip()
        if not raw:
            continue
        scope: Scope = "full"
        secret = raw
        for suffix, named in ((READ_SUFFIX, "read"), (ADMIN_SUFFIX, "admin")):
            if raw.endswith(suffix):
                scope, secret = named, raw[: -len(suffix)]  # type: ignore[assignment]
        if not secret:
            raise ValueError(f"RAG_API_KEYS contains an empty key ({raw!r} alone)")
        data = secret.encode("utf-8", "surrogateescape")
        keys.append(ApiKey(digest(data), scope, hashlib.sha256(data).hexdigest()[:8]))
    return tuple(keys)


@dataclass(frozen=True)
class Identity:
    """What a request carries: its key (None if none or unknown), whether it sent any, and how."""

    key: ApiKey | None
    sent: bool
    via: Via | None = None


SessionLookup = Callable[[str], ApiKey | None]


class KeyRing:
    """The configured keys; lookups compare every key in constant time (no early exit)."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self.keys = tuple(keys)

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyRing:
        return cls(parse_keys(settings.api_keys))

    def __bool__(self) -> bool:
        return bool(self.keys)

    def find(self, supplied: str | None) -> ApiKey | None:
        if not supplied:
            return None
        candidate = digest(supplied.encode("utf-8", "surrogateescape"))
        found = None
        for key in self.keys:
            if hmac.compare_digest(key.digest, candidate):
                found = key
        return found

    def identify(self, headers: Headers, session: SessionLookup | None = None) -> Identity:
        """The key a request carries: ``X-API-Key``, else a bearer token, else the session cookie.

        An empty header counts as absent (an empty ``X-API-Key:`` must not hide a valid bearer token).
        """
        supplied = (headers.get("x-api-key") or "").strip()
        auth = headers.get("authorization", "")
        if not supplied and auth[:7].lower() == "bearer ":
            supplied = auth[7:].strip()
        if supplied:
            return Identity(self.find(supplied), True, "header")
        token = cookie(headers, SESSION_COOKIE)
        if token:
            return Identity(session(token) if session else None, True, "cookie")
        return Identity(None, False)


SESSION_COOKIE = "plan_assistant_session"


def cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        k, _, v = part.strip().partition("=")
        if k == name:
            return v.strip()
    return None


def classify(path: str) -> Kind:
    if path in PUBLIC_PATHS:
        return "public"
    if path.startswith(API_PREFIXES):
        return "api"
    if path in DOCS_PATHS:
        return "docs"
    return "ui"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def may_export(keys: KeyRing, key: ApiKey | None, client: str | None) -> bool:
    """The feedback export: an admin key when keys are configured, else only a client on this machine."""
    return key is not None and key.admin if keys else is_loopback(client)


def denial(
    keys: KeyRing, key: ApiKey | None, sent: bool, method: str, path: str, client: str | None = None
) -> tuple[int, str] | None:
    """Why a request may not pass: (status, message), or None when it may."""
    kind = classify(path)
    if (method, path) in ADMIN_ROUTES and (not keys or key is not None) and not may_export(keys, key, client):
        if key is not None and key.read_only:
            return 403, READ_ONLY
        return 403, ADMIN_ONLY
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
    """Route dependency for /api and /v1 (the same rules as the access middleware, checked again
    here so routes stay protected even in an app assembled without the middleware)."""
    keys: KeyRing | None = getattr(request.app.state, "keyring", None)
    if keys is None:
        return
    sessions = getattr(request.app.state, "sessions", None)
    who = keys.identify(request.headers, sessions.lookup if sessions is not None else None)
    client = request.client.host if request.client else None
    denied = denial(keys, who.key, who.sent, request.method, request.url.path, client)
    if denied is None:
        return
    status, message = denied
    raise (AuthError if status == 401 else ForbiddenError)(message)


__all__ = [
    "ADMIN_SUFFIX",
    "READ_SUFFIX",
    "SESSION_COOKIE",
    "ApiKey",
    "Identity",
    "KeyRing",
    "classify",
    "denial",
    "is_loopback",
    "may_export",
    "parse_keys",
    "require_key",
]
