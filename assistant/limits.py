"""Bounded answering: at most N answers are generated at once, each within a deadline.

A slow LLM call (or a pathological question) must not stall the rest of the service. Every answer
the API (``/api/ask``, ``/v1/chat/completions``) or the UI generates runs through
:meth:`GenerationLimiter.run` (the UI through :class:`LimitedAssistant`, wired in ``app.py``):

* it waits at most ``queue_timeout`` seconds for one of ``max_concurrent`` slots, else
  :class:`~assistant.errors.OverloadedError` (HTTP 503 with ``Retry-After``);
* it then gets ``timeout`` seconds to finish, else :class:`~assistant.errors.DeadlineError`
  (HTTP 504).

Python cannot kill a thread, so work that overran keeps its slot until it really ends: the cap
bounds runaway work too. Everything else (search, sections, health, the UI's pages) never waits
for a slot, so it keeps answering.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import DeadlineError, OverloadedError

if TYPE_CHECKING:
    from .config import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


class GenerationLimiter:
    def __init__(self, max_concurrent: int, timeout: float, queue_timeout: float) -> None:
        if max_concurrent < 1 or timeout <= 0 or queue_timeout < 0:
            raise ValueError("max_concurrent >= 1, timeout > 0 and queue_timeout >= 0 are required")
        self.max_concurrent = max_concurrent
        self.timeout = timeout
        self.queue_timeout = queue_timeout
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._pool = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="generation")
        self._lock = threading.Lock()
        self._running = 0
        self.rejected = 0  # no slot within queue_timeout
        self.timed_out = 0  # overran the deadline

    @classmethod
    def from_settings(cls, settings: Settings) -> GenerationLimiter:
        return cls(settings.max_concurrent_generations, settings.request_timeout, settings.queue_timeout)

    @property
    def running(self) -> int:
        """Generations holding a slot right now (including ones that overran their deadline)."""
        return self._running

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn(*args, **kwargs)`` in a generation slot and return its result (or raise its error)."""
        if not self._slots.acquire(timeout=self.queue_timeout):
            with self._lock:
                self.rejected += 1
            raise OverloadedError(
                f"服务繁忙：已有 {self.max_concurrent} 个回答正在生成，请稍后重试。"
                " Too many answers being generated at once; retry shortly.",
                retry_after=max(1, round(self.timeout / 4)),
            )
        with self._lock:
            self._running += 1
        started = time.monotonic()

        def work() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self._running -= 1
                self._slots.release()
                overran = time.monotonic() - started - self.timeout
                if overran > 0:
                    log.warning("a generation finished %.1fs after its deadline; slot released", overran)

        try:
            future: Future[T] = self._pool.submit(work)
        except BaseException:
            with self._lock:
                self._running -= 1
            self._slots.release()
            raise
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            with self._lock:
                self.timed_out += 1
            log.warning(
                "a generation overran its %.0fs deadline (it keeps its slot until it ends)", self.timeout
            )
            raise DeadlineError(
                f"回答生成超时（超过 {self.timeout:g} 秒），请稍后重试或换一种问法。"
                " The answer took too long to generate."
            ) from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class LimitedAssistant:
    """The assistant as the UI sees it: its answers take the same slots and deadline as the API's.

    ``ask_stream`` computes the whole answer on its first step (see :meth:`AnswerChain.stream`), so
    running that step in a slot bounds the work; the remaining pieces are slices of the finished text.
    Everything else is the wrapped assistant's own.
    """

    def __init__(self, inner: Any, limiter: GenerationLimiter) -> None:
        self._inner = inner
        self._limiter = limiter

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        return self._limiter.run(self._inner.ask, *args, **kwargs)

    def ask_stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        pieces = self._inner.ask_stream(*args, **kwargs)
        first = self._limiter.run(next, pieces, None)
        if first is None:
            return
        yield first
        yield from pieces

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


__all__ = ["GenerationLimiter", "LimitedAssistant"]
