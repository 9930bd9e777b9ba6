"""A bounded load test on loopback: N concurrent clients for a fixed time against the live server's
/api/ask, /api/search and /v1/chat/completions. Zero errors allowed; counts and p50/p95 are printed.

``LOAD_CLIENTS`` and ``LOAD_SECONDS`` (environment) override the defaults (8 clients, 10 s).
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections import defaultdict
from typing import Any

import httpx
import pytest

from assistant.bench import percentile

CLIENTS = int(os.environ.get("LOAD_CLIENTS", "8"))
SECONDS = float(os.environ.get("LOAD_SECONDS", "10"))
QUESTIONS = [
    "到2030年清洁能源装机占比达到多少？",
    "22个重点产业集群中，世界级产业集群有哪些？",
    "沈阳“一枢纽、四中心”具体指什么？",
    "专栏1里森林覆盖率2030年的目标是多少？",
    "规划提出推动设立哪个国家公园？",
    "如何发展人工智能产业？",
    "养老服务有哪些举措？",
    "火星移民计划是什么？",  # not in the plan: an abstention
]


def _request(http: httpx.Client, endpoint: str, question: str) -> httpx.Response:
    if endpoint == "ask":
        return http.post("/api/ask", json={"question": question})
    if endpoint == "search":
        return http.post("/api/search", json={"query": question, "k": 5})
    return http.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": question}]})


def _valid(endpoint: str, r: httpx.Response) -> bool:
    if r.status_code != 200:
        return False
    body: Any = r.json()
    if endpoint == "ask":
        return isinstance(body.get("answer"), str) and isinstance(body.get("citations"), list)
    if endpoint == "search":
        return len(body.get("results", [])) == 5
    return bool(body["choices"][0]["message"]["content"])


def test_concurrent_load_has_no_errors(live_server: str) -> None:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS
    endpoints = ("ask", "search", "chat")

    def client(n: int) -> None:
        with httpx.Client(base_url=live_server, timeout=30) as http:
            for i in range(100_000):  # bounded by count and by the deadline
                if time.monotonic() >= deadline:
                    return
                endpoint = endpoints[(n + i) % 3]
                question = QUESTIONS[(n * 7 + i) % len(QUESTIONS)]
                started = time.perf_counter()
                try:
                    r = _request(http, endpoint, question)
                    ok = _valid(endpoint, r)
                    problem = f"{endpoint} {r.status_code} {r.text[:120]}"
                except (httpx.HTTPError, ValueError, KeyError, IndexError) as exc:
                    ok, problem = False, f"{endpoint} {type(exc).__name__}: {exc}"
                took = (time.perf_counter() - started) * 1000
                with lock:
                    latencies[endpoint].append(took)
                    if not ok:
                        errors.append(problem)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 60)
    wall = time.monotonic() - started
    every = [x for values in latencies.values() for x in values]
    lines = [
        f"  {name:<7} n={len(v):>5}  p50={statistics.median(v):7.1f} ms  p95={percentile(v, 95):7.1f} ms"
        f"  max={max(v):7.1f} ms"
        for name, v in sorted(latencies.items())
    ]
    print(
        f"\n[load] {CLIENTS} clients × {SECONDS:g}s on loopback: {len(every)} requests, {len(errors)} errors,"
        f" {len(every) / wall:.1f} req/s, p95 {percentile(every, 95):.1f} ms\n" + "\n".join(lines)
    )
    assert not any(t.is_alive() for t in threads)
    assert not errors, errors[:5]
    assert len(every) >= CLIENTS * 3


@pytest.mark.slow
def test_mixed_load_with_a_burst_of_maximal_follow_ups(live_server: str, assistant: Any) -> None:
    """Issue 13's acceptance run: 16 clients × 30 s of mixed traffic while 4 more clients keep sending the
    most expensive follow-ups the limits allow (a full history of 500-character user turns and
    4,000-character replies, new text each time). Zero errors and zero 5xx for everyone."""
    settings = assistant.settings
    texts = [loc.text for loc in assistant.document.locations if len(loc.text) > settings.max_question_chars]
    ordinary: list[str] = []
    burst: dict[int, int] = defaultdict(int)
    lock = threading.Lock()
    deadline = time.monotonic() + 30

    def client(n: int) -> None:
        with httpx.Client(base_url=live_server, timeout=120) as http:
            i = 0
            while time.monotonic() < deadline:
                i += 1
                endpoint = ("ask", "search", "chat")[(n + i) % 3]
                try:
                    r = _request(http, endpoint, QUESTIONS[(n * 7 + i) % len(QUESTIONS)])
                    problem = None if _valid(endpoint, r) else f"{endpoint} {r.status_code} {r.text[:120]}"
                except (httpx.HTTPError, ValueError, KeyError, IndexError) as exc:
                    problem = f"{endpoint} {type(exc).__name__}: {exc}"
                if problem:
                    with lock:
                        ordinary.append(problem)

    def maximal(n: int) -> None:
        with httpx.Client(base_url=live_server, timeout=120) as http:
            i = 0
            while time.monotonic() < deadline:
                i += 1
                text = texts[(n * 31 + i) % len(texts)]
                start = (i * 37) % (len(text) - settings.max_question_chars)
                user = text[start : start + settings.max_question_chars]
                reply = (text * 10)[: settings.max_message_chars]
                turns = [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
                body = {"question": "那呢？", "history": turns * (settings.max_history_turns // 2)}
                status = http.post("/api/ask", json=body).status_code
                with lock:
                    burst[status] += 1

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(16)]
    threads += [threading.Thread(target=maximal, args=(n,), daemon=True) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    print(f"\n[load+burst] ordinary errors: {len(ordinary)}; maximal follow-ups: {dict(burst)}")
    assert not any(t.is_alive() for t in threads)
    assert not ordinary, ordinary[:5]
    assert burst and all(status == 200 or status == 503 for status in burst), dict(burst)
