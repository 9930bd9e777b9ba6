"""Bounded answering: at most N answers are generated at once, each within a deadline.

A slow LLM call (or a pathological question) must not stall the rest of the service. Every answer
the API (``/api/ask``, ``/v1/chat/completions``) or the UI generates runs through
:meth:`GenerationLimiter.run` (the UI through :class:`LimitedAssistant`, wired in ``app.py``):

* it waits at most ``queue_timeout`` seconds for one of ``max_concurrent`` slots, else
  :class:`~assistant.errors.OverloadedError` (HTTP 503 with ``Retry-After``);
* it then gets ``timeout`` seconds to finish, else :class:`~assistant.errors.DeadlineError`
  (HTTP 504).

An answer that arrives in pieces (``/v1`` with ``"stream": true``, the UI) goes through
:meth:`GenerationLimiter.stream`: it holds its slot from the first piece to the last, within one
deadline, and gives it back when the stream ends, fails or is closed (the client went away, 停止).

Python cannot kill a thread, so work that overran keeps running, but the deadline frees its slot
and its result is discarded; a second bound (``max_overrun``, as many as the slots) caps how many
such threads may still run, so runaway work stays bounded too. Everything else (search, sections, health, the UI's pages) never waits
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
    """``max_concurrent`` answer slots, each with a deadline; a deadline frees its slot.

    Python cannot stop a thread, so an answer that overran keeps running in its thread, but it no
    longer holds a slot: its result is discarded and the next request gets the slot. Threads are
    bounded too: at most ``max_overrun`` overrunning answers may still be running (default: as many
    as there are slots); beyond that a new request waits for one to end, up to ``queue_timeout``.
    """

    def __init__(
        self, max_concurrent: int, timeout: float, queue_timeout: float, max_overrun: int | None = None
    ) -> None:
        if max_concurrent < 1 or timeout <= 0 or queue_timeout < 0:
            raise ValueError("max_concurrent >= 1, timeout > 0 and queue_timeout >= 0 are required")
        self.max_concurrent = max_concurrent
        self.max_overrun = max_concurrent if max_overrun is None else max(0, max_overrun)
        self.timeout = timeout
        self.queue_timeout = queue_timeout
        self._slots = threading.BoundedSemaphore(max_concurrent)
        # heavy answers (long user text) may take at most half the slots: light ones always find one
        self.max_heavy = max(1, max_concurrent // 2)
        self._heavy = threading.BoundedSemaphore(self.max_heavy)
        self._threads = threading.BoundedSemaphore(max_concurrent + self.max_overrun)
        self._pool = ThreadPoolExecutor(
            max_workers=max_concurrent + self.max_overrun, thread_name_prefix="generation"
        )
        self._lock = threading.Lock()
        self._running = 0
        self._overrunning = 0
        self.rejected = 0  # no slot within queue_timeout
        self.timed_out = 0  # overran the deadline

    @classmethod
    def from_settings(cls, settings: Settings) -> GenerationLimiter:
        return cls(settings.max_concurrent_generations, settings.request_timeout, settings.queue_timeout)

    @property
    def running(self) -> int:
        """Generations holding a slot right now (within their deadline)."""
        return self._running

    @property
    def overrunning(self) -> int:
        """Generations past their deadline whose threads are still running (they hold no slot)."""
        return self._overrunning

    def _busy(self) -> OverloadedError:
        with self._lock:
            self.rejected += 1
        return OverloadedError(
            f"服务繁忙：已有 {self.max_concurrent} 个回答正在生成，请稍后重试。"
            " Too many answers being generated at once; retry shortly.",
            retry_after=max(1, round(self.timeout / 4)),
        )

    def run(self, fn: Callable[..., T], *args: Any, heavy: bool = False, **kwargs: Any) -> T:
        """Call ``fn(*args, **kwargs)`` in a generation slot and return its result (or raise its error).

        ``heavy``: the request carries long user text (see :func:`is_heavy`); such requests share
        ``max_heavy`` of the slots, so a burst of them never takes every slot from ordinary questions.
        """
        waited_until = time.monotonic() + self.queue_timeout  # one wait in all, however many gates
        if not heavy:
            return self._run(fn, args, kwargs, waited_until)
        if not self._heavy.acquire(timeout=self.queue_timeout):
            raise self._busy()
        try:
            return self._run(fn, args, kwargs, waited_until)
        finally:
            self._heavy.release()

    def _run(self, fn: Callable[..., T], args: Any, kwargs: Any, waited_until: float) -> T:
        if not self._slots.acquire(timeout=max(0.0, waited_until - time.monotonic())):
            raise self._busy()
        if not self._threads.acquire(timeout=max(0.0, waited_until - time.monotonic())):
            self._slots.release()
            raise self._busy()
        with self._lock:
            self._running += 1
        started = time.monotonic()
        holds_slot = [True]  # cleared (under the lock) by whoever gives the slot back first

        def give_back_slot() -> bool:
            with self._lock:
                if not holds_slot[0]:
                    return False
                holds_slot[0] = False
                self._running -= 1
            self._slots.release()
            return True

        def work() -> T:
            try:
                return fn(*args, **kwargs)
            finally:
                if not give_back_slot():  # it overran: its slot was freed at the deadline
                    with self._lock:
                        self._overrunning -= 1
                    log.warning(
                        "a generation finished %.1fs after its deadline; its result was discarded",
                        time.monotonic() - started - self.timeout,
                    )
                self._threads.release()

        try:
            future: Future[T] = self._pool.submit(work)
        except BaseException:
            give_back_slot()
            self._threads.release()
            raise
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout:
            with self._lock:
                self.timed_out += 1
                freed = holds_slot[0]
                if freed:  # the slot goes back now; the thread runs on, its result unused
                    holds_slot[0] = False
                    self._running -= 1
                    self._overrunning += 1
            if freed:
                self._slots.release()
                log.warning(
                    "a generation overran its %.0fs deadline: slot freed, its result will be discarded",
                    self.timeout,
                )
            raise self._deadline_error() from None

    def stream(
        self, fn: Callable[..., Iterator[T]], *args: Any, heavy: bool = False, **kwargs: Any
    ) -> Iterator[T]:
        """Iterate ``fn(*args, **kwargs)`` (an answer that arrives in pieces) in one generation slot.

        The slot is taken when the first piece is asked for (so input errors surface there) and held
        until the last one, within one deadline for the whole stream. It is given back when the stream
        ends or fails, when it is closed (a client that went away: Gradio and Starlette close what they
        were iterating) and at the deadline whatever its reader does, so a stream nobody reads any more
        cannot keep it. Every piece is produced in the pool: a piece that overruns the deadline is
        abandoned like an overrunning :meth:`run`, and its iterator closed when that piece is done.
        """
        waited_until = time.monotonic() + self.queue_timeout
        if heavy and not self._heavy.acquire(timeout=self.queue_timeout):
            raise self._busy()
        if not self._slots.acquire(timeout=max(0.0, waited_until - time.monotonic())):
            if heavy:
                self._heavy.release()
            raise self._busy()
        if not self._threads.acquire(timeout=max(0.0, waited_until - time.monotonic())):
            self._slots.release()
            if heavy:
                self._heavy.release()
            raise self._busy()
        held = _StreamSlot(self, heavy)
        deadline = time.monotonic() + self.timeout
        timer = threading.Timer(self.timeout, held.expire)
        timer.daemon = True

        def first() -> Any:
            held.pieces = iter(fn(*args, **kwargs))
            return next(held.pieces, _END)

        def following() -> Any:
            assert held.pieces is not None
            return next(held.pieces, _END)

        try:
            timer.start()
            item = held.step(first, deadline)
            while item is not _END:
                yield item
                item = held.step(following, deadline)
        finally:
            timer.cancel()
            held.finish()

    def _deadline_error(self) -> DeadlineError:
        return DeadlineError(
            f"回答生成超时（超过 {self.timeout:g} 秒），请稍后重试或换一种问法。"
            " The answer took too long to generate."
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


_END = object()  # a stream's end (``next(pieces, _END)``)


def _close(pieces: Any) -> None:
    close = getattr(pieces, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:  # closing is cleanup: a failure there must not hide what happened
        log.exception("closing an answer stream failed")


class _StreamSlot:
    """The slot (and thread gate, and heavy gate if taken) of one :meth:`GenerationLimiter.stream`.

    Whoever comes first gives each back, under the limiter's lock: the stream's end or close
    (:meth:`finish`), the deadline (:meth:`expire`, from a timer or a piece that overran), or, for the
    thread gate, the overrunning piece's own thread when it is done.
    """

    def __init__(self, limiter: GenerationLimiter, heavy: bool) -> None:
        self.limiter = limiter
        self.heavy = heavy
        self.pieces: Iterator[Any] | None = None
        self.slot = self.thread = True
        self.stepping = self.expired = False
        with limiter._lock:
            limiter._running += 1

    # the two give-backs, called under the limiter's lock
    def _free_slot(self) -> None:
        if self.slot:
            self.slot = False
            self.limiter._running -= 1
            self.limiter._slots.release()
            if self.heavy:
                self.limiter._heavy.release()

    def _free_thread(self) -> None:
        if self.thread:
            self.thread = False
            self.limiter._threads.release()

    def step(self, produce: Callable[[], Any], deadline: float) -> Any:
        """The next piece, produced in the pool within what is left of the deadline."""
        lim = self.limiter
        with lim._lock:
            if self.expired:
                raise lim._deadline_error()
            self.stepping = True

        def work() -> Any:
            try:
                return produce()
            finally:
                with lim._lock:
                    self.stepping = False
                    late = self.expired and self.thread
                    if late:  # it overran: the stream was given up at the deadline
                        lim._overrunning -= 1
                        self._free_thread()
                if late:
                    log.warning("a piece of an answer stream finished after its deadline; discarded")
                    _close(self.pieces)

        try:
            future = lim._pool.submit(work)
        except BaseException:
            with lim._lock:
                self.stepping = False
            raise
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            self.expire()
            raise lim._deadline_error() from None

    def expire(self) -> None:
        """The deadline: the slot goes back whatever the stream is doing."""
        lim = self.limiter
        with lim._lock:
            if self.expired or not self.slot:
                return
            self.expired = True
            lim.timed_out += 1
            self._free_slot()
            if self.stepping:  # that piece's thread runs on and gives the thread gate back itself
                lim._overrunning += 1
            else:
                self._free_thread()
        log.warning("an answer stream overran its %.0fs deadline: slot freed", lim.timeout)

    def finish(self) -> None:
        """The stream ended, failed or was closed: everything still held goes back."""
        with self.limiter._lock:
            stepping = self.stepping
            self._free_slot()
            if not stepping:
                self._free_thread()
        if not stepping:  # else the overrunning piece's thread closes it when it is done
            _close(self.pieces)


HEAVY_CHARS = 300


def is_heavy(question: str, history: Any = ()) -> bool:
    """Whether a request carries long user text: the chain searches with the question and with
    earlier user turns, and its cost grows with their length (a follow-up such as 那呢？ searches
    with the whole previous question)."""
    users = sum(len(t.content) for t in history if getattr(t, "role", "") == "user")
    return len(question or "") + users > HEAVY_CHARS


class LimitedAssistant:
    """The assistant as the UI sees it: its answers take the same slots and deadline as the API's.

    ``ask_stream`` holds its slot for the whole stream (:meth:`GenerationLimiter.stream`): an LLM's
    reply arrives piece by piece, and every piece is work. Everything else is the wrapped assistant's own.
    """

    def __init__(self, inner: Any, limiter: GenerationLimiter) -> None:
        self._inner = inner
        self._limiter = limiter

    def ask(self, question: str, history: Any = ()) -> Any:
        return self._limiter.run(self._inner.ask, question, history, heavy=is_heavy(question, history))

    def ask_stream(self, question: str, history: Any = ()) -> Iterator[Any]:
        heavy = is_heavy(question, history)
        return self._limiter.stream(self._inner.ask_stream, question, history, heavy=heavy)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


__all__ = ["HEAVY_CHARS", "GenerationLimiter", "LimitedAssistant", "is_heavy"]
