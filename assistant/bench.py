"""Benchmarks: index build and load, in-process search and ask latency, HTTP latency and throughput.

``python -m assistant bench`` prints a table and writes ``evals/results/bench.json``. Every figure
is a median or percentile over repeated runs (warm-up runs excluded) or a ratio:

- index builds into a temporary directory (``--no-rebuild`` skips them): from scratch (nothing
  cached) and from the committed index's embedding cache, ``--build-runs`` times each, with the
  time per phase;
- the server (``--no-serve`` skips it; ``--url`` load-tests a running one instead): starts
  ``app.py`` ``--start-runs`` times and times process start to a healthy ``/health``; then serves
  once more and load-tests it over HTTP with 1 and 8 clients (distinct queries, ``--http-runs``
  times, and one client's searches while 8 clients ask), recording the server's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ROOT

if TYPE_CHECKING:
    from .config import Settings
    from .facade import Assistant

WARMUP = 3
LOAD_REPEATS = 5
DEFAULT_OUT = ROOT / "evals" / "results"

# A fixed mix: figures, lists, where, indicator, paraphrase, enterprise, unanswerable.
QUESTIONS = (
    "到2030年，清洁能源装机占比达到多少？",
    "汽车及零部件产业集群到2030年营收规模目标是多少？",
    "森林覆盖率2030年目标是多少？",
    "规划里关于低空经济的内容在哪一节？",
    "22个重点产业集群包括哪些？",
    "怎么让老百姓更愿意花钱？",
    "我们是大连的一家船舶配套企业，规划里有哪些支持？",
    "到2030年，人工智能核心产业营收规模目标是多少？",
    "住房保障和房地产市场的内容在哪一节？",
    "吉林省到2030年的森林覆盖率目标是多少？",
)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (``q`` in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def stats_ms(samples: Sequence[float]) -> dict[str, float]:
    """Median, p95, mean and count of samples given in seconds, reported in milliseconds."""
    ms = [s * 1000 for s in samples]
    return {
        "median_ms": round(statistics.median(ms), 2),
        "p95_ms": round(percentile(ms, 95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "n": len(ms),
    }


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def tag(question: str, n: int) -> str:
    """``question`` made unique by a letters-only tag, so no query cache can answer it.

    The tag ("[bench qd]") is not a word of the plan: BM25 drops it and the embedding barely moves,
    so the work done is that of the plain question.
    """
    letters = ""
    n += 26
    while n:
        n, r = divmod(n, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[r] + letters
    return f"{question} [bench {letters}]"


def workload(questions: Sequence[str], runs: int, cold: bool, salt: int = 0) -> list[str]:
    """``runs`` passes over ``questions``: each one unique when ``cold``, repeated verbatim when warm.

    Give every benchmark its own ``salt`` so that one benchmark's questions never warm another's.
    """
    return [
        tag(q, salt + r * len(questions) + i) if cold else q
        for r in range(runs)
        for i, q in enumerate(questions)
    ]


_salts = iter(range(1_000_000, 1_000_000_000, 1_000_000))


def repeat(
    fn: Callable[[str], object], questions: Sequence[str], runs: int, cold: bool = True
) -> list[float]:
    """Time ``fn`` over ``runs`` passes of ``questions`` after ``WARMUP`` untimed (unique) calls."""
    salt = next(_salts)
    for i in range(WARMUP):
        fn(tag(questions[i % len(questions)], salt - 1 - i))
    return [timed(lambda q=q: fn(q)) for q in workload(questions, runs, cold, salt)]  # type: ignore[misc]


def peak_rss_mb() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(rss / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


# --------------------------------------------------------------------------- index


def bench_build(settings: Settings, runs: int = 3) -> dict[str, Any]:
    """Index builds into a temporary directory: from scratch and with the committed embedding cache.

    Medians over ``runs`` each, plus where the time of a from-scratch build goes (median per phase).
    """
    from .chunk import chunk_document
    from .embed import make_embedder, parts
    from .index import _bm25, build, embed_cached, make_tokenizer, read_cache, save, sentences
    from .parse import parse_file

    started = time.perf_counter()
    doc = parse_file(settings.corpus_path)
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    embedder = make_embedder(settings.embedder)
    model_s = time.perf_counter() - started
    cache = read_cache(settings.index_dir)
    tokenizer = make_tokenizer(doc)
    search_texts = [c.search_text for c in chunk_document(doc, settings.chunk_tokens)]
    paragraphs = [p.text for loc in doc.locations for p in loc.paragraphs]
    units = [u for text in paragraphs for u in sentences(text)]
    scratch: list[float] = []
    cached: list[float] = []
    phases: dict[str, list[float]] = {}
    embedded = 0
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        for _ in range(max(1, runs)):
            scratch.append(
                timed(lambda: save(build(doc, embedder, settings.chunk_tokens, False), Path(tmp) / "a"))
            )
            index = build(doc, embedder, settings.chunk_tokens, False, cache)
            cached.append(index.manifest.build_seconds)
            embedded = index.manifest.embedded
            phases.setdefault("chunk", []).append(timed(lambda: chunk_document(doc, settings.chunk_tokens)))
            phases.setdefault("tokenizer", []).append(timed(lambda: make_tokenizer(doc)))
            phases.setdefault("bm25", []).append(timed(lambda: _bm25(tokenizer, search_texts)))
            for part in parts(embedder):
                for unit, texts in (("paragraphs", paragraphs), ("sentences", units)):
                    phases.setdefault(f"embed {unit} ({part.id})", []).append(
                        timed(lambda p=part, t=texts: embed_cached(p, t))  # type: ignore[misc]
                    )
    return {
        "build_s": round(statistics.median(scratch), 2),
        "build_runs_s": [round(x, 2) for x in scratch],
        "cached_build_s": round(statistics.median(cached), 2),
        "cached_embedded": embedded,
        "phases_s": {k: round(statistics.median(v), 2) for k, v in phases.items()}
        | {"parse": round(parse_s, 3), "load embedder": round(model_s, 2)},
        "chunks": len(index.chunks),
        "paragraphs": index.manifest.paragraphs,
        "sentences": index.manifest.sentences,
        "embedder": embedder.id,
        "n": len(scratch),
    }


def bench_load(settings: Settings) -> dict[str, Any]:
    """Median of ``LOAD_REPEATS`` loads of the index on disk."""
    from .index import load
    from .parse import parse_file

    doc = parse_file(settings.corpus_path)
    samples = [timed(lambda: load(settings.index_dir, doc)) for _ in range(LOAD_REPEATS)]
    parse = [timed(lambda: parse_file(settings.corpus_path)) for _ in range(LOAD_REPEATS)]
    return {"index_load": stats_ms(samples), "parse": stats_ms(parse)}


# --------------------------------------------------------------------------- in-process


def bench_in_process(assistant: Assistant, runs: int) -> dict[str, Any]:
    """Search latency per retrieval mode and ask latency over the fixed questions.

    "cold" questions are unique (no cache helps); "warm" ones repeat verbatim, as a user asking
    the same question again would.
    """
    out: dict[str, Any] = {}
    modes = [*assistant.retriever.channel_names, "dense", "fused"]
    for mode in modes:
        out[f"search_{mode}"] = stats_ms(
            repeat(lambda q, m=mode: assistant.search(q, k=5, mode=m), QUESTIONS, runs)  # type: ignore[misc]
        )
    out["search_fused_warm"] = stats_ms(
        repeat(lambda q: assistant.search(q, k=5), QUESTIONS, runs, cold=False)
    )
    for eid, e in ((e.id, e) for e in parts_of(assistant)):
        out[f"query_embedding {eid}"] = stats_ms(repeat(e.embed_query, QUESTIONS, runs))
    out["ask"] = stats_ms(repeat(lambda q: assistant.ask(q), QUESTIONS, runs))
    out["ask_warm"] = stats_ms(repeat(lambda q: assistant.ask(q), QUESTIONS, runs, cold=False))
    return out


def parts_of(assistant: Assistant) -> list[Any]:
    from .embed import parts

    return parts(assistant.embedder)


# --------------------------------------------------------------------------- HTTP


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _worker(
    url: str,
    jobs: list[tuple[str, dict[str, Any]]],
    samples: list[float],
    errors: list[str],
    api_key: str | None,
) -> None:
    import httpx

    with httpx.Client(base_url=url, timeout=60.0, headers=_headers(api_key)) as client:
        for path, payload in jobs:
            started = time.perf_counter()
            try:
                client.post(path, json=payload).raise_for_status()
            except httpx.HTTPError as exc:
                errors.append(f"{path}: {exc}")
                continue
            samples.append(time.perf_counter() - started)


def load_test(
    url: str, path: str, payloads: list[dict[str, Any]], concurrency: int, api_key: str | None = None
) -> dict[str, Any]:
    """Send ``payloads`` from ``concurrency`` threads, each with its own client; latency and req/s."""
    import httpx

    with httpx.Client(base_url=url, timeout=60.0, headers=_headers(api_key)) as warm:
        for payload in payloads[:WARMUP]:  # the same requests, re-tagged: nothing is cached for the run
            warm.post(
                path,
                json={k: tag(v, 999) if k in ("query", "question") else v for k, v in payload.items()},
            )
    shares = [[(path, p) for p in payloads[i::concurrency]] for i in range(concurrency)]
    samples: list[float] = []
    errors: list[str] = []
    threads = [threading.Thread(target=_worker, args=(url, s, samples, errors, api_key)) for s in shares if s]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    result: dict[str, Any] = stats_ms(samples) if samples else {"n": 0}
    result.update(
        throughput_rps=round(len(samples) / elapsed, 2), concurrency=concurrency, errors=len(errors)
    )
    return result


def bench_http(url: str, runs: int, concurrency: int, api_key: str | None = None) -> dict[str, Any]:
    """One client for the baseline latency, then ``concurrency`` clients for throughput (all cold)."""
    url = url.rstrip("/")
    plain = workload(QUESTIONS, runs, cold=False)
    out: dict[str, Any] = {}
    for clients, path, field in [
        (c, p, f) for c in (1, concurrency) for p, f in (("/api/search", "query"), ("/api/ask", "question"))
    ]:
        salt = next(_salts)
        payloads = [{field: tag(q, salt + i)} for i, q in enumerate(plain)]
        out[f"{path.rsplit('/', 1)[1]}_{clients}_clients"] = load_test(url, path, payloads, clients, api_key)
    out["search_1_client_during_asks"] = search_during_asks(url, runs, concurrency, api_key)
    return out


def search_during_asks(url: str, runs: int, concurrency: int, api_key: str | None = None) -> dict[str, Any]:
    """Search latency of one client while ``concurrency`` others keep ``/api/ask`` busy: whether (and how
    much) other requests wait for answers being generated (all queries distinct)."""
    salt = next(_salts)
    asks = [{"question": tag(q, salt + i)} for i, q in enumerate(workload(QUESTIONS, runs, cold=False))]
    busy = threading.Thread(target=load_test, args=(url, "/api/ask", asks, concurrency, api_key))
    busy.start()
    try:
        time.sleep(0.5)  # the asks are under way
        searches = [{"query": tag(q, salt + 500_000 + i)} for i, q in enumerate(QUESTIONS * 2)]
        return load_test(url, "/api/search", searches, 1, api_key)
    finally:
        busy.join()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, timeout: float = 120.0) -> tuple[subprocess.Popen[bytes], float]:
    """Start ``app.py`` on ``port``; the process and its seconds from start to a healthy ``/health``."""
    import httpx

    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--port", str(port), "--log-level", "WARNING"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return process, time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    process.terminate()
    raise RuntimeError(f"the server was not ready within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def wait_for_ui(port: int, started: float, timeout: float = 120.0) -> float | None:
    """Seconds from ``started`` until "/" serves the UI (it is built after the API is ready)."""
    import httpx

    while time.perf_counter() - started < timeout:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=2.0).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return None


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def server_rss_mb(pid: int) -> dict[str, float]:
    """Current and peak RSS of a process (Linux /proc; empty elsewhere)."""
    try:
        fields = dict(
            line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
        )
        return {
            "rss_mb": round(int(fields["VmRSS"].split()[0]) / 1024, 1),
            "peak_rss_mb": round(int(fields["VmHWM"].split()[0]) / 1024, 1),
        }
    except (OSError, KeyError, ValueError):
        return {}


def bench_serve(runs: int, start_runs: int, http_runs: int, concurrency: int) -> dict[str, Any]:
    """Start-to-ready over ``start_runs`` starts; then HTTP load tests (medians over ``http_runs``)."""
    ready: list[float] = []
    cpu: list[float] = []
    ui: list[float] = []
    for _ in range(max(1, start_runs)):
        port = _free_port()
        started = time.perf_counter()
        process, seconds = start_server(port)
        used = cpu_seconds(process.pid)
        ui_seconds = wait_for_ui(port, started)
        ready.append(seconds)
        cpu += [used] if used is not None else []
        ui += [ui_seconds] if ui_seconds is not None else []
        _stop(process)
    port = _free_port()
    process, _ = start_server(port)
    try:
        passes = [bench_http(f"http://127.0.0.1:{port}", runs, concurrency) for _ in range(max(1, http_runs))]
        rss = server_rss_mb(process.pid)
    finally:
        _stop(process)
    http: dict[str, Any] = {}
    for name in passes[0]:
        rows = [p[name] for p in passes]
        http[name] = dict(rows[0]) | {
            "median_ms": round(statistics.median(r["median_ms"] for r in rows), 2),
            "p95_ms": round(statistics.median(r["p95_ms"] for r in rows), 2),
            "throughput_rps": round(statistics.median(r["throughput_rps"] for r in rows), 2),
            "throughput_runs_rps": [r["throughput_rps"] for r in rows],
            "errors": sum(r["errors"] for r in rows),
        }
    return {
        # wall time to a healthy /health, the server's CPU seconds by then (less sensitive to other
        # work on the machine), and wall time until "/" serves the UI
        "start_to_ready": stats_ms(ready) | {"runs_s": [round(x, 2) for x in ready]},
        "start_to_ready_cpu": stats_ms(cpu) if cpu else {},
        "start_to_ui": stats_ms(ui) if ui else {},
        "http": http,
        "server": rss,
    }


# --------------------------------------------------------------------------- output


def render_table(result: dict[str, Any]) -> str:
    lines = [f"{'benchmark':<28} {'median ms':>10} {'p95 ms':>10} {'n':>6}  extra"]
    for section, entries in result.items():
        if not isinstance(entries, dict) or section == "meta":
            continue
        for name, value in entries.items():
            if isinstance(value, dict) and "median_ms" in value:
                extra = (
                    f"{value['throughput_rps']} req/s @{value['concurrency']}"
                    if "throughput_rps" in value
                    else ""
                )
                if value.get("errors"):
                    extra += f" errors {value['errors']}"
                lines.append(
                    f"{section + '.' + name:<28} {value['median_ms']:>10.1f} {value['p95_ms']:>10.1f} "
                    f"{value['n']:>6}  {extra}"
                )
    if "build" in result:
        b = result["build"]
        lines.append(
            f"index build: {b['build_s']} s from scratch (median of {b['n']}: {b['build_runs_s']}), "
            f"{b['cached_build_s']} s with the embedding cache; phases {b['phases_s']}"
        )
    if "serve" in result:
        s = result["serve"]
        lines.append(
            f"start to ready: {s['start_to_ready']['median_ms'] / 1000:.2f} s (runs {s['start_to_ready']['runs_s']}; "
            f"CPU {s['start_to_ready_cpu'].get('median_ms', 0) / 1000:.2f} s; UI at "
            f"{s['start_to_ui'].get('median_ms', 0) / 1000:.2f} s); "
            f"server RSS {s['server']}"
        )
        for name, value in s["http"].items():
            lines.append(
                f"http.{name:<23} {value['median_ms']:>10.1f} {value['p95_ms']:>10.1f} {value['n']:>6}  "
                f"{value['throughput_rps']} req/s @{value['concurrency']} (runs {value['throughput_runs_rps']})"
            )
    lines.append(f"peak RSS (bench process): {result['meta']['peak_rss_mb']} MB")
    return "\n".join(lines)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--runs", type=int, default=20, help="timed passes over the fixed questions (default 20)")
    p.add_argument("--url", default=None, help="also benchmark a running server (http://host:port)")
    p.add_argument("--concurrency", type=int, default=8, help="concurrent HTTP clients (default 8)")
    p.add_argument("--api-key", default=None, help="API key for --url when the server requires one")
    p.add_argument(
        "--rebuild",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="time index builds into a temp dir (default on; --no-rebuild skips them)",
    )
    p.add_argument("--build-runs", type=int, default=3, help="builds of each kind with --rebuild (default 3)")
    p.add_argument(
        "--serve",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="start the server itself: start-to-ready, HTTP load at 1 and N clients, server RSS "
        "(default on unless --url is given)",
    )
    p.add_argument("--start-runs", type=int, default=5, help="server starts timed with --serve (default 5)")
    p.add_argument("--http-runs", type=int, default=3, help="HTTP load-test passes with --serve (default 3)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where bench.json goes")


def run(args: argparse.Namespace) -> int:
    from .facade import Assistant

    assistant = Assistant.load()  # settings from the environment
    settings = assistant.settings
    runs = max(1, args.runs)
    result: dict[str, Any] = {}
    if args.rebuild:
        result["build"] = bench_build(settings, args.build_runs)
    result["load"] = bench_load(settings)
    result["in_process"] = bench_in_process(assistant, runs)
    if args.url:
        result["http"] = bench_http(args.url, runs, max(1, args.concurrency), args.api_key)
    if args.serve or (args.serve is None and not args.url):
        result["serve"] = bench_serve(runs, args.start_runs, args.http_runs, max(1, args.concurrency))
    result["meta"] = {
        "runs": runs,
        "warmup": WARMUP,
        "questions": len(QUESTIONS),
        "embedder": assistant.embedder.id,
        "generator": assistant.chain.generator_name,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "peak_rss_mb": peak_rss_mb(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "bench.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(render_table(result))
    print(f"wrote {path}")
    return 0
