"""The documented multi-worker deployment, for real: two ``python app.py`` workers behind Debian's nginx.

SECURITY.md ("Behind a reverse proxy, with several workers") describes it; this runs it on loopback:
the API and the UI through the proxy, streaming through the proxy, per-client rate limits from
``X-Forwarded-For`` (``RAG_TRUSTED_PROXIES=127.0.0.1``), and searches per second with one worker and
with two (printed, not asserted). Slow (two servers start), and skipped without ``/usr/sbin/nginx``.
With Debian's ``redis-server`` the workers share their rate limits through it (``RAG_REDIS_URL``);
the generation cap stays per process.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.helpers import ROOT, redis_server

NGINX = "/usr/sbin/nginx"
RATE = 5  # per minute per client, per worker

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="needs Debian's nginx (apt-get install nginx-light)"),
]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], limit: float = 180) -> None:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        assert proc.poll() is None, f"{url}: the process exited with {proc.returncode}"
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not become ready")


NGINX_CONF = """
daemon off;
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    upstream one {{ server 127.0.0.1:{w1}; }}
    upstream both {{ server 127.0.0.1:{w1}; server 127.0.0.1:{w2}; }}
    upstream sticky {{ ip_hash; server 127.0.0.1:{w1}; server 127.0.0.1:{w2}; }}
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    {servers}
}}
"""
SERVER = """
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 1m;
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_read_timeout 120s;
        }}
    }}
"""


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("deploy")
    workers = [_port(), _port()]
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(tmp / "data"),
        "RAG_TRUSTED_PROXIES": "127.0.0.1",
        "RAG_RATE_LIMIT_PER_MINUTE": str(RATE),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    procs: list[subprocess.Popen[bytes]] = []
    with ExitStack() as stack:
        if shutil.which("redis-server"):  # rate limits shared by both workers
            env["RAG_REDIS_URL"] = stack.enter_context(redis_server(tmp))
        yield from _serve(tmp, workers, env, procs)


def _serve(
    tmp: Path, workers: list[int], env: dict[str, str], procs: list[subprocess.Popen[bytes]]
) -> Iterator[dict[str, str]]:
    try:
        for port in workers:
            log = (tmp / f"worker-{port}.log").open("wb")
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "app.py",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-level",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        for port, proc in zip(workers, procs, strict=True):
            _wait(f"http://127.0.0.1:{port}/health", proc)
        fronts = {"one": _port(), "both": _port(), "sticky": _port()}
        servers = "".join(SERVER.format(port=p, upstream=name) for name, p in fronts.items())
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, w1=workers[0], w2=workers[1], servers=servers))
        nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp)], stderr=subprocess.STDOUT)
        procs.append(nginx)
        for port in fronts.values():
            _wait(f"http://127.0.0.1:{port}/health", nginx)
        urls = {name: f"http://127.0.0.1:{p}" for name, p in fronts.items()}
        urls["redis"] = env.get("RAG_REDIS_URL", "")
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_api_ui_and_streaming_through_the_proxy(deployment: dict[str, str]) -> None:
    url = deployment["sticky"]
    me = {"X-Forwarded-For": "198.51.100.10"}
    with httpx.Client(base_url=url, timeout=60, headers=me) as http:
        assert http.get("/health").json()["status"] == "ok"
        ask = http.post("/api/ask", json={"question": "到2030年清洁能源装机占比达到多少？"})
        assert ask.status_code == 200 and "70%" in ask.json()["answer"].replace(" ", "")
        page = http.get("/", headers={"accept": "text/html"})
        for _ in range(600):  # the UI is built after the API is ready: "/" is a loading page until then
            if page.status_code != 503:
                break
            time.sleep(0.1)
            page = http.get("/", headers={"accept": "text/html"})
        assert page.status_code == 200 and "gradio" in page.text.lower()
        body = {"messages": [{"role": "user", "content": "森林覆盖率2030年目标是多少？"}], "stream": True}
        with http.stream("POST", "/v1/chat/completions", json=body) as r:
            assert r.status_code == 200
            lines = [line for line in r.iter_lines() if line.startswith("data: ")]
        assert lines[-1] == "data: [DONE]" and json.loads(lines[1][6:])["choices"][0]["delta"]["content"]


def test_rate_limits_are_per_client_behind_the_proxy(deployment: dict[str, str]) -> None:
    """nginx appends its peer to X-Forwarded-For; the worker trusts 127.0.0.1, so each client has a bucket."""
    with httpx.Client(base_url=deployment["one"], timeout=60) as http:

        def searches(client: str, n: int) -> list[int]:
            headers = {"X-Forwarded-For": client}
            return [
                http.post("/api/search", json={"query": "能源"}, headers=headers).status_code
                for _ in range(n)
            ]

        assert searches("198.51.100.21", RATE + 1) == [200] * RATE + [429]
        assert searches("198.51.100.22", 1) == [200]


def test_rate_limits_are_shared_by_the_workers_through_redis(deployment: dict[str, str]) -> None:
    """Round-robin over both workers: with RAG_REDIS_URL one bucket per client, not one per worker."""
    if not deployment["redis"]:
        pytest.skip("needs Debian's redis-server")
    with httpx.Client(base_url=deployment["both"], timeout=60) as http:
        headers = {"X-Forwarded-For": "198.51.100.31"}
        codes = [
            http.post("/api/search", json={"query": "能源"}, headers=headers).status_code
            for _ in range(RATE + 1)
        ]
    assert codes == [200] * RATE + [429]


QUERIES = (
    "清洁能源装机占比",
    "森林覆盖率",
    "县域经济",
    "船舶与海工装备",
    "沈阳都市圈",
    "数字经济核心产业",
    "养老服务体系",
    "高标准农田",
    "营商环境",
    "科技创新平台",
    "海洋经济",
    "冰雪旅游",
)


def _searches_per_second(url: str, seconds: float = 8.0, clients: int = 8) -> tuple[float, list[int]]:
    """Distinct queries and client addresses (no cache, a fresh rate-limit bucket each time)."""
    end = time.monotonic() + seconds

    def run(i: int) -> list[int]:
        codes = []
        with httpx.Client(base_url=url, timeout=60) as http:
            n = 0
            while time.monotonic() < end:
                n += 1
                headers = {"X-Forwarded-For": f"10.{i}.{n // 250}.{n % 250 + 1}"}  # a fresh bucket each time
                codes.append(
                    http.post("/api/search", json={"query": "清洁能源装机占比"}, headers=headers).status_code
                )
        return codes

    started = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        codes = [c for part in pool.map(run, range(clients)) for c in part]
    return len(codes) / (time.monotonic() - started), codes


def test_searches_per_second_with_one_and_two_workers(deployment: dict[str, str]) -> None:
    one, codes_one = _searches_per_second(deployment["one"])
    both, codes_both = _searches_per_second(deployment["both"])
    print(f"searches/s through nginx, 8 clients: 1 worker {one:.1f}, 2 workers {both:.1f}")
    assert set(codes_one) == {200} and set(codes_both) == {200}
