"""Feedback store: 👍/👎 ratings with an optional comment, in SQLite under ``settings.data_dir``.

WAL mode with ``synchronous=FULL``, one short transaction per write, acknowledged only after its
COMMIT returns, a fresh connection per call (safe from any thread, and from several server processes:
SQLite serialises the writers, waiting up to ``timeout`` seconds for the lock).
Every SQLite or file-system failure surfaces as :class:`StorageError` with a readable message.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from .answers import Citation
from .errors import InputError, StorageError

Rating = Literal["up", "down"]
RATINGS: tuple[str, ...] = ("up", "down")
CSV_COLUMNS = ("id", "created_at", "rating", "question", "answer", "citations", "comment", "source")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    comment TEXT,
    source TEXT NOT NULL DEFAULT 'api'
)
"""


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created_at: str
    rating: str
    question: str
    answer: str
    citations: str  # JSON list of {location, title, quote}
    comment: str | None
    source: str


def _explain(exc: BaseException, path: Path) -> str:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        why = "数据库被其他进程锁定，请稍后重试 (database is locked)"
    elif "full" in text or "no space" in text:
        why = "磁盘已满 (disk full)"
    elif "readonly" in text or "read-only" in text or "permission" in text:
        why = "目录或文件只读，无法写入 (read-only)"
    else:
        why = f"{type(exc).__name__}: {exc}"
    return f"反馈无法保存或读取：{why}。数据库位置：{path}"


class FeedbackStore:
    """Append-only feedback table in ``<data_dir>/feedback.db``."""

    def __init__(self, data_dir: Path, timeout: float = 5.0) -> None:
        self.path = Path(data_dir) / "feedback.db"
        self.timeout = timeout
        self._ready = False
        self._init_lock = threading.Lock()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self._ensure_schema()
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the write is acknowledged
        except StorageError:
            raise
        except (sqlite3.Error, OSError) as exc:
            raise StorageError(_explain(exc, self.path)) from exc
        try:
            yield conn
        except (sqlite3.Error, OSError) as exc:
            if "no such table" in str(exc):
                self._ready = False  # removed and recreated empty under us: the next call rebuilds it
            raise StorageError(_explain(exc, self.path)) from exc
        finally:
            conn.close()

    def _ensure_schema(self) -> None:
        # the file can be removed while the server runs (a clean-up, an operator): then it is recreated
        if self._ready and self.path.exists():
            return
        with self._init_lock:
            if self._ready and self.path.exists():
                return
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
                try:
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute(_SCHEMA)
                finally:
                    conn.close()
            except (sqlite3.Error, OSError) as exc:
                raise StorageError(_explain(exc, self.path)) from exc
            self._ready = True

    def add(
        self,
        question: str,
        answer: str,
        citations: Sequence[Citation],
        rating: str,
        comment: str | None = None,
        source: str = "api",
    ) -> int:
        """Store one rating; return its row id once the transaction has committed."""
        if rating not in RATINGS:
            raise InputError(f"rating 只能是 'up' 或 'down'，收到 {rating!r}。")
        cites = json.dumps(
            [{"location": c.location, "title": c.title, "quote": c.quote} for c in citations],
            ensure_ascii=False,
        )
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            rating,
            question,
            answer,
            cites,
            (comment or "").strip() or None,
            source,
        )
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                cur = conn.execute(
                    "INSERT INTO feedback (created_at, rating, question, answer, citations, comment, source)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return int(cur.lastrowid or 0)

    def rows(self) -> list[FeedbackRow]:
        with self._connect() as conn:
            cur = conn.execute(f"SELECT {', '.join(CSV_COLUMNS)} FROM feedback ORDER BY id")
            return [FeedbackRow(*r) for r in cur.fetchall()]

    def export_csv(self) -> str:
        """All feedback as CSV (UTF-8 text; cells that a spreadsheet would run as formulas are quoted)."""
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        for r in self.rows():
            writer.writerow(
                [
                    _cell(v)
                    for v in (
                        r.id,
                        r.created_at,
                        r.rating,
                        r.question,
                        r.answer,
                        r.citations,
                        r.comment or "",
                        r.source,
                    )
                ]
            )
        return buf.getvalue()


_FORMULA_START = frozenset("=+-@＝＋－＠﹦﹢﹣﹫")
_LEADING_SPACE = " \t\r\n\u3000\u00a0\ufeff"


def spreadsheet_safe(value: object) -> object:
    """Guard against CSV formula injection when an export is opened in a spreadsheet: a cell whose
    first visible character starts a formula (``=``, ``+``, ``-``, ``@``, their full-width forms, also
    after spaces or line breaks, which spreadsheets skip) or that starts with a tab or line break
    gets a leading ``'``."""
    if not isinstance(value, str) or not value:
        return value
    visible = value.lstrip(_LEADING_SPACE)
    if value[0] in "\t\r\n" or (visible and visible[0] in _FORMULA_START):
        return "'" + value
    return value


_cell = spreadsheet_safe
