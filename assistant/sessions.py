"""UI session cookies: signed, expiring, revocable (SECURITY.md, "Logging in from a browser").

A session token is ``<key id>.<issued, unix seconds>.<nonce>.<signature>``; the signature is an
HMAC-SHA256 under a server-side secret over the key's digest, the issue time and the nonce. So a
token

* reveals nothing about the key (only its public id),
* stops working when its key is removed from ``RAG_API_KEYS``, when it expires
  (``RAG_SESSION_HOURS``), when the secret changes, or when it is logged out: ``/logout`` records the
  nonce as revoked in ``<data dir>/sessions.db`` (SQLite, so every worker on the host sees it).

The secret is ``RAG_SESSION_SECRET`` if set, else 32 random bytes kept in ``<data dir>/session_secret``
(created once, mode 0600), so sessions survive restarts and work across workers sharing the data dir.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from .auth import ApiKey, KeyRing
from .config import Settings

log = logging.getLogger(__name__)

SECRET_FILE = "session_secret"
REVOKED_DB = "sessions.db"
CLOCK_SKEW = 60  # seconds a token's issue time may lie in the future (several hosts)


def load_secret(settings: Settings) -> bytes:
    """``RAG_SESSION_SECRET``, else the data dir's secret file (created on first use)."""
    if settings.session_secret is not None and settings.session_secret.get_secret_value():
        return settings.session_secret.get_secret_value().encode("utf-8")
    path = Path(settings.data_dir) / SECRET_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
                f.flush()
                os.fsync(f.fileno())
        secret = path.read_text().strip()
        if len(secret) >= 32:
            return secret.encode()
        log.warning("the session secret %s is too short; using a per-process secret", path)
    except OSError as exc:
        log.warning("cannot keep a session secret in %s (%s); using a per-process secret", path, exc)
    return secrets.token_bytes(32)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Sessions:
    """Issue and check session tokens for the keys of a :class:`KeyRing`."""

    def __init__(
        self,
        keys: KeyRing,
        secret: bytes,
        max_age: int,
        data_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys = keys
        self.secret = secret
        self.max_age = max_age
        self.clock = clock
        self.revoked_path = Path(data_dir) / REVOKED_DB if data_dir is not None else None
        self._revoked: dict[str, float] = {}  # nonce → expiry (this process; the database is shared)
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, keys: KeyRing, settings: Settings) -> Sessions:
        return cls(keys, load_secret(settings), int(settings.session_hours * 3600), settings.data_dir)

    def _sign(self, key: ApiKey, issued: int, nonce: str) -> str:
        message = b"plan-assistant-session\0" + key.digest + f"\0{issued}\0{nonce}".encode()
        return _b64(hmac.new(self.secret, message, hashlib.sha256).digest())

    def issue(self, key: ApiKey) -> str:
        issued, nonce = int(self.clock()), secrets.token_urlsafe(12)
        return f"{key.id}.{issued}.{nonce}.{self._sign(key, issued, nonce)}"

    def _parse(self, token: str) -> tuple[ApiKey, int, str] | None:
        parts = token.split(".")
        if len(parts) != 4 or not parts[1].isdigit() or len(token) > 200:
            return None
        key_id, issued_text, nonce, signature = parts
        issued = int(issued_text)
        now = self.clock()
        if not now - self.max_age < issued <= now + CLOCK_SKEW:
            return None
        found = None
        for key in self.keys.keys:  # every key is checked (constant time in which key matched)
            expected = self._sign(key, issued, nonce)
            if hmac.compare_digest(expected.encode(), signature.encode()) and key.id == key_id:
                found = key
        return (found, issued, nonce) if found is not None else None

    def lookup(self, token: str) -> ApiKey | None:
        """The key of a valid, unexpired, not revoked session token; else None."""
        parsed = self._parse(token)
        if parsed is None:
            return None
        key, _, nonce = parsed
        return None if self.is_revoked(nonce) else key

    def revoke(self, token: str) -> bool:
        """Log a session out (everywhere: the revocation is stored in the data dir)."""
        parsed = self._parse(token)
        if parsed is None:
            return False
        _, issued, nonce = parsed
        expires = issued + self.max_age
        with self._lock:
            self._revoked[nonce] = expires
        try:
            with self._db() as conn:
                conn.execute("DELETE FROM revoked WHERE expires < ?", (self.clock(),))
                conn.execute(
                    "INSERT OR REPLACE INTO revoked (nonce, expires) VALUES (?, ?)", (nonce, expires)
                )
        except (sqlite3.Error, OSError) as exc:
            log.warning("session revocation kept in this process only (%s): %s", self.revoked_path, exc)
        return True

    def is_revoked(self, nonce: str) -> bool:
        with self._lock:
            if nonce in self._revoked:
                return True
        if self.revoked_path is None or not self.revoked_path.exists():
            return False
        try:
            with self._db() as conn:
                row = conn.execute("SELECT 1 FROM revoked WHERE nonce = ?", (nonce,)).fetchone()
        except (sqlite3.Error, OSError) as exc:
            log.warning("cannot read session revocations (%s): %s", self.revoked_path, exc)
            return False
        return row is not None

    def _db(self) -> closing[sqlite3.Connection]:
        if self.revoked_path is None:
            raise OSError("no data dir")
        self.revoked_path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.revoked_path, timeout=5, isolation_level=None)
        conn.execute("CREATE TABLE IF NOT EXISTS revoked (nonce TEXT PRIMARY KEY, expires REAL NOT NULL)")
        return closing(conn)


__all__ = ["Sessions", "load_secret"]
