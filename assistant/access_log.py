"""The request log (logger ``assistant.access``) and the redaction of keys in uvicorn's access log.

One line per API request and per refused request: method, the raw path as the client sent it
(escaped, so a ``%0a`` cannot forge a line), status, time, client and key id; never a query string
or a key. The question text only with ``RAG_LOG_QUESTIONS=true``.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from starlette.types import Scope

from .auth import ApiKey

access_log = logging.getLogger("assistant.access")
MAX_LOGGED_QUESTION = 200

_UNPRINTABLE = re.compile(rb"[^\x21-\x7e]")


def log_path(scope: Scope) -> str:
    """The request path as the client sent it (percent-encoded), with any byte that is not printable
    ASCII escaped as ``\\xNN``: a ``%0a`` stays ``%0a``, so no one can write a line into the log."""
    raw = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
    raw = raw.split(b"?", 1)[0][:2000]
    return _UNPRINTABLE.sub(lambda m: b"\\x%02x" % m.group()[0], raw).decode("ascii")


def log_request(
    scope: Scope, status: int, ms: float, client: str, key: ApiKey | None, question: str | None = None
) -> None:
    method = _UNPRINTABLE.sub(b"?", scope.get("method", "-").encode("latin-1", "replace")).decode()
    line = f"{method} {log_path(scope)} {status} {ms:.1f}ms client={client} key={key.id if key else '-'}"
    if question is not None:
        line += f" question={question!r}"
    access_log.log(logging.WARNING if status in (401, 403, 429) else logging.INFO, line)


def question_of(body: bytes) -> str | None:
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


_KEY_PARAM = re.compile(r"([?&][\w.-]*(?:key|token|secret|password)=)[^&\s\"]*", re.IGNORECASE)


class RedactKeys(logging.Filter):
    """Hide ``?key=…``, ``?api_key=…``, ``?token=…`` in log lines (uvicorn's access log prints full URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_KEY_PARAM.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


def redact_access_logs() -> None:
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactKeys) for f in logger.filters):
        logger.addFilter(RedactKeys())
