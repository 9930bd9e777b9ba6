"""Wiring only: settings → FastAPI app (assistant loads in its lifespan) → Gradio UI at "/" → uvicorn.

The API is ready first; the UI is built once the assistant has loaded (``/`` shows a loading page until then).

python app.py --host 127.0.0.1 --port 7860
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.facade import Assistant

log = logging.getLogger("app")


LOADING_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2"><title>规划纲要问答助手</title></head>
<body style="font-family:sans-serif;margin:3em"><h1>规划纲要问答助手</h1>
<p>界面正在加载，稍后自动刷新。The UI is loading; this page refreshes itself.</p>
<p>API 已可用 / the API is up: <a href="/docs">/docs</a>, <a href="/health">/health</a></p></body></html>"""


class LateUI:
    """The ASGI app at "/" while the Gradio UI is being built: a small loading page (503), then the UI.

    The API answers as soon as the assistant has loaded; importing Gradio and building the UI (about
    2-3 s on 2 cores) happens after that, so it never delays ``/health``.
    """

    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.app: ASGIApp | None = None
        self.error: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is not None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013})
            return
        if scope["type"] != "http":
            return
        from starlette.responses import HTMLResponse, JSONResponse

        failed = self.error or self.loader.error
        detail = (
            f"界面加载失败：{failed}"
            if failed
            else "界面正在加载，请稍后重试。The UI is loading, retry soon."
        )
        if scope["method"] in ("GET", "HEAD") and scope["path"] in ("", "/") and not failed:
            response: Any = HTMLResponse(LOADING_PAGE, status_code=503, headers={"Retry-After": "2"})
        else:
            response = JSONResponse({"detail": detail}, status_code=503, headers={"Retry-After": "2"})
        await response(scope, receive, send)


def _ui_blocks(app: FastAPI) -> Any:
    """The Gradio Blocks of the UI (imports Gradio); the UI reads the assistant from the API's loader."""
    from assistant.limits import LimitedAssistant
    from assistant.security import export_allowed
    from assistant.ui import build_ui

    limiter, get = app.state.limiter, app.state.loader.get
    # the UI's answers share the API's generation slots and deadline (assistant/limits.py)
    return build_ui(
        lambda: cast("Assistant", LimitedAssistant(get(), limiter)),
        feedback=app.state.feedback,
        # 导出全部反馈 only for an admin key (or, without keys, this machine): assistant/auth.py
        can_export=lambda headers, client: export_allowed(app, headers, client),
    )


def _mount(app: FastAPI, settings: Settings, blocks: Any) -> FastAPI:
    import gradio as gr

    from assistant.ui import mount_options

    return gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        footer_links=["api"],
        run_history=False,
        ssr_mode=False,
        **mount_options(),  # theme, CSS, the page script, Gradio's labels in Chinese
        show_error=True,
    )


async def _mount_when_ready(app: FastAPI, settings: Settings, late: LateUI, stack: AsyncExitStack) -> None:
    """Once the assistant is ready: build the UI in a thread, mount it behind ``late`` and start it."""
    try:
        if await asyncio.to_thread(app.state.loader.wait) is None:
            return  # the loader's error is on /health and on the loading page
        started = time.perf_counter()
        blocks = await asyncio.to_thread(_ui_blocks, app)
        routes = app.router.routes
        lifespan = app.router.lifespan_context
        _mount(app, settings, blocks)  # appends its Mount and wraps the lifespan: take both back
        mounted = routes.pop()
        app.router.lifespan_context = lifespan
        ui = cast(Any, mounted).app
        await stack.enter_async_context(ui.router.lifespan_context(ui))
        ui.get_blocks().run_startup_events()
        await ui.get_blocks().run_extra_startup_events()
        late.app = ui
        log.info("UI ready %.1fs after the API", time.perf_counter() - started)
    except Exception as exc:  # the API keeps serving; "/" says what went wrong
        log.exception("the UI failed to build")
        late.error = str(exc) or type(exc).__name__


def build_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The API with the UI at "/"; starts nothing (the assistant loads in the app's lifespan).

    Without ``assistant`` (the normal case) the API is served as soon as the assistant has loaded and
    the UI is built after it (``/`` shows a loading page meanwhile). With one (tests) the UI is built
    and mounted here, at once.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.api import create_api

    app = create_api(settings, assistant)
    if assistant is not None:
        return _mount(app, settings, _ui_blocks(app))
    late = LateUI(app.state.loader)
    app.state.ui = late
    app.mount("/", late)
    api_lifespan = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[Any]:
        async with AsyncExitStack() as stack, api_lifespan(app) as state:
            task = asyncio.create_task(_mount_when_ready(app, settings, late, stack))
            try:
                yield state
            finally:
                task.cancel()

    app.router.lifespan_context = lifespan
    return app


def create_app() -> FastAPI:
    """App factory for process managers (settings from the environment), e.g. several workers:
    ``uvicorn app:create_app --factory --workers 4`` (see SECURITY.md)."""
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    return build_app(Settings())


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    defaults = Settings()
    parser = argparse.ArgumentParser(description="规划纲要问答助手: API (/docs, /api, /v1) and UI (/)")
    parser.add_argument("--host", default=defaults.host, help=f"bind address (default {defaults.host})")
    parser.add_argument("--port", type=int, default=defaults.port, help=f"port (default {defaults.port})")
    parser.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    parser.add_argument(
        "--access-log", action="store_true", help="log every HTTP request (noisy with the UI)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)  # CPU-feature probing noise

    import uvicorn

    settings = defaults.model_copy(update={"host": args.host, "port": args.port})
    app = build_app(settings)
    log.info(
        "app built in %.1fs; serving http://%s:%d (UI /, API docs /docs)",
        time.perf_counter() - started,
        args.host,
        args.port,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        access_log=args.access_log,
        proxy_headers=False,  # X-Forwarded-* only from RAG_TRUSTED_PROXIES (assistant/ratelimit.py)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
