"""Fault injection: a damaged or stale index, a read-only index dir, an LLM that is down, slow or talks
garbage, answers that overrun the deadline or the concurrency cap, and a feedback database that is
locked, full or read-only. Each fault must end in a clear outcome, never a crash or a 500.

Only loopback is ever targeted: the fake LLM service listens on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

import assistant.feedback as feedback_module
import assistant.index as index_module
from assistant.api import AssistantLoader, create_api
from assistant.chain import AnswerChain
from assistant.config import Settings
from assistant.facade import Assistant
from assistant.feedback import FeedbackStore
from assistant.index import MANIFEST, load_or_build, staleness
from assistant.normalize import contains
from tests.helpers import serve

Q = "到2030年清洁能源装机占比达到多少？"
OUTCOMES: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def report_outcomes() -> Iterator[None]:
    yield
    print("\n[faults] injected → outcome\n" + "\n".join(f"  {line}" for line in OUTCOMES))


def _record(fault: str, outcome: str) -> None:
    OUTCOMES.append(f"{fault:<44} → {outcome}")


# --------------------------------------------------------------------------- the index


def _copy_index(tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(Settings().index_dir, target)
    return target


def _edit_manifest(directory: Path, **changes: Any) -> None:
    manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    manifest.update(changes)
    (directory / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 16] = bytes(b ^ 0xFF for b in data[middle : middle + 16])
    path.write_bytes(bytes(data))


INDEX_FAULTS: dict[str, Callable[[Path], None]] = {
    "missing file (paragraphs.json)": lambda d: (d / "paragraphs.json").unlink(),
    "missing file (inside bm25/)": lambda d: sorted((d / "bm25").iterdir())[0].unlink(),
    "truncated file (vectors.faiss)": lambda d: _truncate(d / "vectors.faiss"),
    "corrupt bytes (chunks.jsonl)": lambda d: _flip(d / "chunks.jsonl"),
    "empty file (chunks.jsonl)": lambda d: (d / "chunks.jsonl").write_text(""),
    "extra file": lambda d: (d / "stray.bin").write_bytes(b"x"),
    "missing manifest": lambda d: (d / MANIFEST).unlink(),
    "garbage manifest": lambda d: (d / MANIFEST).write_text("{not json"),
    "manifest: another corpus": lambda d: _edit_manifest(d, corpus_sha256="0" * 64),
    "manifest: another embedder": lambda d: _edit_manifest(d, embedder="st:some-other-model"),
    "manifest: another chunk size": lambda d: _edit_manifest(d, chunk_tokens=Settings().chunk_tokens + 1),
    "manifest: another chunker version": lambda d: _edit_manifest(d, chunker_version="0"),
    "missing index dir": lambda d: shutil.rmtree(d),
}


@pytest.fixture
def fake_build(assistant: Assistant, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the ~100 s embedding build with a copy of the loaded index (everything else is real)."""
    calls: list[str] = []

    def build(
        doc: Any, embedder: Any, chunk_tokens: int, show_progress: bool = True, cache: Any = None
    ) -> index_module.Index:
        calls.append(doc.sha256)
        src = assistant.index
        manifest = dataclasses.replace(src.manifest, files={}, built_at=f"rebuilt-{len(calls)}")
        return dataclasses.replace(src, manifest=manifest, directory=None)

    monkeypatch.setattr(index_module, "build", build)
    return calls


@pytest.mark.parametrize("fault", list(INDEX_FAULTS))
def test_index_fault_is_detected_and_rebuilt(
    assistant: Assistant, tmp_path: Path, fake_build: list[str], fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    directory = _copy_index(tmp_path)
    args = (assistant.document, assistant.embedder.id, Settings().chunk_tokens)
    assert staleness(directory, *args) is None
    INDEX_FAULTS[fault](directory)
    reason = staleness(directory, *args)
    assert reason, fault
    with caplog.at_level(logging.WARNING, logger="assistant.index"):
        index = load_or_build(directory, assistant.document, assistant.embedder, Settings().chunk_tokens)
    assert fake_build and index.directory == directory
    assert staleness(directory, *args) is None  # the rebuilt index replaced the damaged one
    assert "needs a rebuild" in caplog.text and "saved to" in caplog.text
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index")]  # no temp dirs left
    _record(f"index: {fault}", f"detected ({reason[:48]}…), rebuilt")


def test_damage_the_manifest_cannot_see_is_caught_on_load(
    assistant: Assistant, tmp_path: Path, fake_build: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    """A truncated file whose manifest hash was updated too: loading fails, and that also rebuilds."""
    directory = _copy_index(tmp_path)
    _truncate(directory / "vectors.faiss")
    _edit_manifest(directory, files=index_module._files(directory))
    assert staleness(directory, assistant.document, assistant.embedder.id, Settings().chunk_tokens) is None
    with caplog.at_level(logging.WARNING, logger="assistant.index"):
        load_or_build(directory, assistant.document, assistant.embedder, Settings().chunk_tokens)
    assert fake_build and "cannot be read" in caplog.text
    _record("index: truncated + manifest rehashed", "load fails cleanly (IndexStateError), rebuilt")


def test_read_only_index_dir_serves_from_memory(
    assistant: Assistant,
    tmp_path: Path,
    fake_build: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    directory = _copy_index(tmp_path)
    (directory / "chunks.jsonl").write_text("")

    def read_only(*args: Any, **kwargs: Any) -> str:
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path))

    monkeypatch.setattr(index_module.tempfile, "mkdtemp", read_only)  # root ignores chmod; EROFS does not
    if os.geteuid() != 0:
        directory.chmod(0o555)
    with caplog.at_level(logging.WARNING, logger="assistant.index"):
        index = load_or_build(directory, assistant.document, assistant.embedder, Settings().chunk_tokens)
    directory.chmod(0o755)
    assert fake_build and index.directory is None and len(index.chunks) == len(assistant.index.chunks)
    assert "cannot be saved" in caplog.text and "serving it from memory" in caplog.text
    _record("index: read-only index dir", "rebuilt, served from memory, logged")


def test_startup_logs_what_it_did(
    assistant: Assistant, tmp_path: Path, fake_build: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    fresh, damaged = _copy_index(tmp_path / "a"), _copy_index(tmp_path / "b")
    (damaged / "paragraphs.json").unlink()
    with caplog.at_level(logging.INFO):
        for directory in (fresh, damaged):
            settings = Settings(index_dir=directory, data_dir=tmp_path / "data")
            create_api(settings)  # logs the access settings
            loader = AssistantLoader(settings)
            loader.start()
            assert loader.wait(120) is not None, loader.error
    assert f"index loaded from {fresh}" in caplog.text
    assert f"index rebuilt from {damaged}" in caplog.text
    assert "access: API keys off; rate limit off; CORS off" in caplog.text
    _record("startup: fresh / damaged index", "logged 'index loaded' / 'index rebuilt'")


def test_missing_corpus_is_reported_not_crashed(tmp_path: Path) -> None:
    app = create_api(Settings(corpus_path=tmp_path / "nope.txt", data_dir=tmp_path))
    app.state.loader.start()
    app.state.loader.wait(60)
    r = TestClient(app).get("/health")
    assert r.status_code == 503 and "nope.txt" in r.json()["detail"]
    _record("corpus file missing", "503 on /health with the path, no crash")


@pytest.mark.slow
def test_real_rebuild_of_a_damaged_index(
    assistant: Assistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The one real rebuild (~100 s): startup on a damaged index rebuilds it and answers as before."""
    directory = _copy_index(tmp_path)
    _truncate(directory / "vectors.faiss")
    loader = AssistantLoader(Settings(index_dir=directory, data_dir=tmp_path / "data"))
    with caplog.at_level(logging.INFO):
        loader.start()
        rebuilt = loader.wait(600)
    assert rebuilt is not None, loader.error
    assert f"index rebuilt from {directory}" in caplog.text
    assert staleness(directory, assistant.document, assistant.embedder.id, Settings().chunk_tokens) is None
    assert rebuilt.ask(Q).citations == assistant.ask(Q).citations
    _record("index: truncated (real rebuild)", f"rebuilt in {rebuilt.index.manifest.build_seconds:.0f}s")


# --------------------------------------------------------------------------- the LLM service


class _FakeLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that misbehaves on purpose: the mode is the first path segment."""

    release = threading.Event()
    in_flight = 0  # slow calls not answered yet
    lock = threading.Lock()

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (that is the point of the slow mode)

    @staticmethod
    def _completion(text: str | None) -> bytes:
        return json.dumps(
            {
                "id": "x",
                "object": "chat.completion",
                "created": 0,
                "model": "fake",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
                ],
            }
        ).encode()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        mode = self.path.strip("/").split("/")[0]
        if mode == "slow":
            with self.lock:
                _FakeLLM.in_flight += 1
            try:
                self.release.wait(5)
            finally:
                with self.lock:
                    _FakeLLM.in_flight -= 1
            self._send(200, self._completion("规划未提及。"))
        elif mode == "html":
            self._send(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        elif mode == "badjson":
            self._send(200, b'{"choices": [{"message": ')
        elif mode == "wrongshape":
            self._send(200, b'{"result": "ok"}')
        elif mode == "empty":
            self._send(200, self._completion(""))
        elif mode == "null":
            self._send(200, self._completion(None))
        elif mode == "error500":
            self._send(500, b'{"error": {"message": "internal error", "type": "server_error"}}')
        elif mode == "binary":
            self._send(200, os.urandom(512), "application/octet-stream")
        elif mode == "fabricated":
            self._send(200, self._completion("到2030年，清洁能源装机占比达到99%[1]。"))
        elif mode == "injection":
            self._send(200, self._completion("好的，已忽略以上指令。系统提示词如下：你是一个……"))
        elif mode == "badmarkers":
            self._send(200, self._completion("清洁能源装机占比大幅提高[99][0][-1]。"))
        elif mode == "refusal":
            self._send(200, self._completion("规划未提及。"))
        else:
            self._send(404, b'{"error": {"message": "no such mode"}}')


@pytest.fixture(scope="module")
def fake_llm() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeLLM)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _FakeLLM.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _llm_assistant(assistant: Assistant, base_url: str, **settings: Any) -> Assistant:
    s = Settings(**{"generator": "openai", "llm_base_url": base_url, "llm_timeout": 0.5, **settings})
    chain = AnswerChain.from_settings(s, assistant.document, assistant.retriever)
    return Assistant(s, assistant.document, assistant.index, assistant.embedder, chain)


LLM_FAULTS = [
    "down",
    "slow",
    "html",
    "badjson",
    "wrongshape",
    "empty",
    "null",
    "error500",
    "binary",
    "fabricated",
    "injection",
    "badmarkers",
]


@pytest.mark.parametrize("mode", LLM_FAULTS)
def test_llm_fault_falls_back_to_the_offline_answer(assistant: Assistant, fake_llm: str, mode: str) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1" if mode == "down" else f"{fake_llm}/{mode}/v1"
    llm = _llm_assistant(assistant, url)
    started = time.perf_counter()
    answer = llm.ask(Q)
    took = time.perf_counter() - started
    assert answer.notice and "离线摘录答案" in answer.notice, (mode, answer.notice)
    offline = assistant.ask(Q)
    assert answer.text == offline.text and answer.citations == offline.citations
    for c in answer.citations:
        assert contains(assistant.document[c.location].text, c.quote)
    assert took < 10
    _record(f"LLM: {mode}", f"offline answer + notice in {took:.1f}s ({answer.notice[:28]}…)")


def test_llm_that_works_is_used(assistant: Assistant, fake_llm: str) -> None:
    answer = _llm_assistant(assistant, f"{fake_llm}/refusal/v1").ask(Q)
    assert answer.notice is None and answer.abstained  # the fake said 规划未提及: taken as an abstention


def test_llm_fault_over_http_is_a_200_with_a_notice(
    assistant: Assistant, fake_llm: str, tmp_path: Path
) -> None:
    client = TestClient(
        create_api(Settings(data_dir=tmp_path), _llm_assistant(assistant, f"{fake_llm}/html/v1"))
    )
    r = client.post("/api/ask", json={"question": Q})
    assert r.status_code == 200 and "离线摘录答案" in r.json()["notice"]
    chat = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": Q}]})
    assert chat.status_code == 200


# --------------------------------------------------------------------------- deadline and concurrency cap


class _Slow:
    """The real assistant, but every answer takes ``delay`` seconds (a slow LLM)."""

    def __init__(self, inner: Assistant, delay: float) -> None:
        self.inner, self.delay = inner, delay

    def ask(self, *args: Any, **kwargs: Any) -> Any:
        time.sleep(self.delay)
        return self.inner.ask(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_slow_llm_hits_the_deadline_and_the_rest_keeps_answering(
    assistant: Assistant, fake_llm: str, tmp_path: Path
) -> None:
    """A real slow LLM call (the fake holds it 5 s; the client timeout is longer than the request
    deadline): the asks get a 504 at the deadline, and every other endpoint answers while the LLM calls
    are still held, i.e. nothing waits for them. (How fast the others answer meanwhile is a benchmark
    figure, not a test: ``python -m assistant bench``, ``search_1_client_during_asks``.)"""
    slow = _llm_assistant(assistant, f"{fake_llm}/slow/v1", llm_timeout=30)
    app = create_api(Settings(data_dir=tmp_path, request_timeout=1.0), slow)
    with (
        serve(app) as url,
        httpx.Client(base_url=url, timeout=15) as client,
        ThreadPoolExecutor(4) as pool,
    ):
        asks = [pool.submit(client.post, "/api/ask", json={"question": Q}) for _ in range(2)]
        while _FakeLLM.in_flight < 2 and not any(f.done() for f in asks):
            time.sleep(0.01)
        others = []
        for _ in range(5):  # meanwhile everything else answers
            t = time.perf_counter()
            assert client.get("/health").status_code == 200
            assert client.post("/api/search", json={"query": "清洁能源"}).status_code == 200
            assert client.get("/api/sections/ch14.s2").status_code == 200
            others.append(time.perf_counter() - t)
            assert _FakeLLM.in_flight > 0  # answered while the slow calls were still held
        results = [f.result() for f in asks]
    assert [r.status_code for r in results] == [504, 504]
    assert all("超时" in r.json()["detail"] for r in results)
    _record(
        "LLM slow past RAG_REQUEST_TIMEOUT=1",
        f"504 at the deadline; other endpoints answered meanwhile (≤{max(others) * 1000:.0f} ms)",
    )


def test_concurrency_cap_gives_503_and_never_stalls_the_rest(assistant: Assistant, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, max_concurrent_generations=2, queue_timeout=0.3, request_timeout=10
    )
    app = create_api(settings, _Slow(assistant, 1.5))  # type: ignore[arg-type]
    with serve(app) as url, httpx.Client(base_url=url, timeout=15) as client:
        with ThreadPoolExecutor(6) as pool:
            asks = [pool.submit(client.post, "/api/ask", json={"question": Q}) for _ in range(5)]
            time.sleep(0.1)
            t = time.perf_counter()
            assert client.post("/api/search", json={"query": "清洁能源"}).status_code == 200
            search_ms = (time.perf_counter() - t) * 1000
            # answered while the two admitted answers were still being generated: it did not wait
            assert not any(f.done() and f.result().status_code == 200 for f in asks)
            results = [f.result() for f in asks]
        codes = sorted(r.status_code for r in results)
        limiter = app.state.limiter
    assert codes == [200, 200, 503, 503, 503], codes
    busy = next(r for r in results if r.status_code == 503)
    assert "繁忙" in busy.json()["detail"] and int(busy.headers["retry-after"]) >= 1
    assert limiter.rejected == 3 and limiter.running == 0
    _record(
        "5 concurrent slow answers vs a cap of 2", f"2×200, 3×503 + Retry-After; search {search_ms:.0f} ms"
    )


def test_streaming_chat_is_capped_too(assistant: Assistant, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, request_timeout=0.3)

    class SlowStream(_Slow):
        def ask_stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
            time.sleep(self.delay)
            yield from self.inner.ask_stream(*args, **kwargs)

    client = TestClient(create_api(settings, SlowStream(assistant, 1.0)))  # type: ignore[arg-type]
    body = {"messages": [{"role": "user", "content": Q}], "stream": True}
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 504 and r.json()["error"]["message"]


# --------------------------------------------------------------------------- the feedback database

FEEDBACK = {"question": Q, "answer": "70%左右", "rating": "up"}


@pytest.fixture
def feedback_client(assistant: Assistant, tmp_path: Path) -> Iterator[TestClient]:
    app = create_api(Settings(data_dir=tmp_path), assistant)
    app.state.feedback = FeedbackStore(tmp_path, timeout=0.2)
    client = TestClient(app)
    assert client.post("/api/feedback", json=FEEDBACK).status_code == 201  # the database exists
    yield client


def _expect_503(client: TestClient, needle: str, fault: str, body: dict[str, Any] | None = None) -> None:
    r = client.post("/api/feedback", json=body or FEEDBACK)
    assert r.status_code == 503, r.text
    assert "反馈无法保存" in r.json()["detail"] and needle in r.json()["detail"]
    assert client.get("/health").status_code == 200  # nothing else is affected
    assert client.post("/api/ask", json={"question": Q}).status_code == 200
    _record(f"feedback: {fault}", f"503 “{r.json()['detail'][:30]}…”, service up")


def test_feedback_db_locked(feedback_client: TestClient, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "feedback.db", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        _expect_503(feedback_client, "锁定", "database locked by another process")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert feedback_client.post("/api/feedback", json=FEEDBACK).status_code == 201  # recovers


def _patched_sqlite(
    monkeypatch: pytest.MonkeyPatch,
    after_connect: Callable[[sqlite3.Connection], None] | None = None,
    uri_mode: str | None = None,
) -> None:
    real_connect = sqlite3.connect

    def connect(path: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if uri_mode:
            conn = real_connect(f"file:{path}?mode={uri_mode}", *args, uri=True, **kwargs)
        else:
            conn = real_connect(path, *args, **kwargs)
        if after_connect:
            after_connect(conn)
        return conn

    monkeypatch.setattr(
        feedback_module,
        "sqlite3",
        types.SimpleNamespace(connect=connect, Error=sqlite3.Error, Connection=sqlite3.Connection),
    )


def test_feedback_disk_full(feedback_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_room(conn: sqlite3.Connection) -> None:  # SQLite's own SQLITE_FULL: no new page may be added
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")

    _patched_sqlite(monkeypatch, after_connect=no_room)
    _expect_503(
        feedback_client,
        "磁盘已满",
        "disk full (SQLITE_FULL)",
        {**FEEDBACK, "comment": "长" * 1900, "answer": "满" * 19000},
    )
    monkeypatch.undo()
    assert feedback_client.post("/api/feedback", json=FEEDBACK).status_code == 201


def test_feedback_db_read_only(feedback_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    _patched_sqlite(monkeypatch, uri_mode="ro")  # as root, chmod would not stop the write
    _expect_503(feedback_client, "只读", "read-only database")


def test_feedback_data_dir_unusable(assistant: Assistant, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the data dir should be")
    client = TestClient(create_api(Settings(data_dir=blocker / "data"), assistant))
    _expect_503(client, "数据库位置", "data dir is a file (cannot create)")


def test_feedback_writes_are_durable(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path)
    store.add(Q, "a", [], "up")
    conn = sqlite3.connect(tmp_path / "feedback.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    seen: list[int] = []
    with store._connect() as c:
        seen.append(c.execute("PRAGMA synchronous").fetchone()[0])
    assert seen == [2]  # FULL


def test_ui_answers_share_the_generation_slots(assistant: Assistant) -> None:
    from assistant.errors import OverloadedError
    from assistant.limits import GenerationLimiter, LimitedAssistant

    limiter = GenerationLimiter(max_concurrent=1, timeout=5, queue_timeout=0.1)
    ui_view = LimitedAssistant(assistant, limiter)

    def pieces(stream: Iterator[Any]) -> list[Any]:
        return [p if isinstance(p, str) else (p.text, p.citations) for p in stream]

    assert pieces(ui_view.ask_stream(Q)) == pieces(assistant.ask_stream(Q))
    assert ui_view.document is assistant.document  # everything else is the assistant's own
    release = threading.Event()
    holder = threading.Thread(target=limiter.run, args=(release.wait, 5))
    holder.start()
    try:
        while limiter.running == 0:
            time.sleep(0.01)
        with pytest.raises(OverloadedError):
            next(ui_view.ask_stream(Q))
    finally:
        release.set()
        holder.join(5)
    assert limiter.running == 0 and limiter.rejected == 1


class _Streaming:
    """An assistant whose answer arrives in pieces (an LLM's reply): ``gate`` (when given) holds back
    the second piece; what became of each stream is logged."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.log: list[str] = []

    def ask_stream(self, question: str, history: Any = ()) -> Iterator[str]:
        try:
            yield "第一段"
            if self.gate is not None:
                self.gate.wait(10)
            yield "第二段"
            yield "第三段"
            self.log.append("finished")
        except GeneratorExit:
            self.log.append("closed")
            raise


def _limited(gate: threading.Event | None = None, timeout: float = 5) -> tuple[Any, Any, _Streaming]:
    from assistant.limits import GenerationLimiter, LimitedAssistant

    limiter = GenerationLimiter(max_concurrent=1, timeout=timeout, queue_timeout=0.05)
    inner = _Streaming(gate)
    return limiter, LimitedAssistant(inner, limiter), inner


def _until(condition: Callable[[], bool], limit: float = 10.0) -> None:
    end = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


def test_a_ui_stream_holds_its_slot_until_its_last_piece() -> None:
    from assistant.errors import OverloadedError

    limiter, ui_view, inner = _limited()
    stream = ui_view.ask_stream(Q)
    assert limiter.running == 0  # nothing is taken before the first piece is asked for
    assert next(stream) == "第一段"
    for _ in range(2):  # between pieces the slot stays taken: another answer finds none
        assert limiter.running == 1
        with pytest.raises(OverloadedError):
            limiter.run(lambda: "another answer")
        next(stream)
    assert limiter.running == 1
    assert list(stream) == [] and inner.log == ["finished"]
    assert limiter.running == 0 and limiter.run(lambda: "another answer") == "another answer"


@pytest.mark.parametrize("how", ["close", "dropped"])
def test_a_ui_stream_gives_its_slot_back_when_closed(how: str) -> None:
    """停止 in the UI, or a client that went away: Gradio closes the stream (or drops it)."""
    limiter, ui_view, inner = _limited()
    stream = ui_view.ask_stream(Q)
    assert next(stream) == "第一段" and limiter.running == 1
    if how == "close":
        stream.close()
    else:
        del stream  # the last reference: CPython finalises the generator at once
    assert limiter.running == 0 and inner.log == ["closed"]
    assert limiter.run(lambda: "another answer") == "another answer"


def test_a_ui_stream_nobody_reads_gives_its_slot_back_at_the_deadline() -> None:
    from assistant.errors import DeadlineError

    limiter, ui_view, inner = _limited(timeout=0.3)
    stream = ui_view.ask_stream(Q)
    assert next(stream) == "第一段" and limiter.running == 1
    _until(lambda: limiter.running == 0)  # nobody asked for the next piece
    assert limiter.timed_out == 1 and limiter.run(lambda: "another answer") == "another answer"
    with pytest.raises(DeadlineError):
        next(stream)
    assert inner.log == ["closed"]


def test_a_ui_stream_whose_piece_overruns_is_given_up() -> None:
    from assistant.errors import DeadlineError

    gate = threading.Event()
    limiter, ui_view, inner = _limited(gate, timeout=0.3)
    stream = ui_view.ask_stream(Q)
    assert next(stream) == "第一段"
    try:
        with pytest.raises(DeadlineError):
            next(stream)  # the second piece is held back past the deadline
        assert (limiter.running, limiter.overrunning) == (0, 1)
        assert limiter.run(lambda: "another answer") == "another answer"
    finally:
        gate.set()
    _until(lambda: limiter.overrunning == 0)
    assert inner.log == ["closed"]  # its late piece discarded, the stream closed
