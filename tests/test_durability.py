"""No acknowledged feedback is lost when the server dies: SIGKILL in the middle of a burst of writes.

The real server (``python app.py``) runs in a subprocess with a temporary data dir; concurrent clients
post feedback on loopback; once enough writes are acknowledged (201 + id) the process is killed with
SIGKILL while requests are still in flight. Then the database is opened (SQLite replays its WAL) and
every acknowledged write must be there, with the id the server returned. Bounded: < 60 s.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 16
KILL_AFTER_ACKS = 300
MAX_BURST_SECONDS = 15.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the server exited early:\n{log.read_text()[-3000:]}"
        try:
            httpx.get(url + "/health", timeout=1)  # 200 or 503 (still loading): either way it is serving
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"the server did not come up in {timeout}s:\n{log.read_text()[-3000:]}")


def test_acknowledged_feedback_survives_sigkill(tmp_path: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data"), "GRADIO_ANALYTICS_ENABLED": "False"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    acked: dict[str, int] = {}  # comment marker → row id the server returned
    attempted, failed = [0], [0]
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=5) as http:
            for i in range(10_000):
                if stop.is_set():
                    return
                marker = f"burst-{n}-{i}"
                body = {"question": f"问题 {marker}", "answer": "回答", "rating": "up", "comment": marker}
                with lock:
                    attempted[0] += 1
                try:
                    r = http.post("/api/feedback", json=body)
                except httpx.TransportError:  # the server is gone
                    with lock:
                        failed[0] += 1
                    return
                if r.status_code != 201:
                    with lock:
                        failed[0] += 1
                    return
                with lock:
                    acked[marker] = int(r.json()["id"])

    try:
        _wait_until_up(url, proc, log)
        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        while len(acked) < KILL_AFTER_ACKS and time.monotonic() - started < MAX_BURST_SECONDS:
            time.sleep(0.005)
        with lock:
            acked_before_kill = len(acked)
        os.kill(proc.pid, signal.SIGKILL)  # mid-burst: clients are still sending
        proc.wait(10)
        stop.set()
        for t in threads:
            t.join(10)
        burst_seconds = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(tmp_path / "data" / "feedback.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = dict(conn.execute("SELECT comment, id FROM feedback").fetchall())
    finally:
        conn.close()
    lost = {m: i for m, i in acked.items() if rows.get(m) != i}
    print(
        f"\n[durability] {CLIENTS} clients, {burst_seconds:.1f}s burst, SIGKILL after {acked_before_kill} acks:"
        f" attempted {attempted[0]}, acknowledged {len(acked)}, persisted {len(rows)},"
        f" acknowledged-but-missing {len(lost)}, cut off in flight {failed[0]}"
    )
    assert len(acked) >= 50, "too few writes were acknowledged before the kill to prove anything"
    assert failed[0] >= 1, "the kill did not land mid-burst"
    assert not lost, f"acknowledged writes lost after SIGKILL: {sorted(lost)[:10]}"
    assert len(rows) >= len(acked)  # a write may commit and then lose its response: never the reverse
