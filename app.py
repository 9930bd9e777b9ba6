"""Wiring only: settings → FastAPI app (assistant loads in its lifespan) → Gradio UI at "/" → uvicorn.

python app.py --host 127.0.0.1 --port 7860
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

from fastapi import FastAPI

from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.facade import Assistant

log = logging.getLogger("app")


def build_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The API with the UI mounted at "/"; the UI reads the assistant from the API's loader.

    Without ``assistant`` (the normal case) it loads in the app's lifespan; tests pass one in.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from assistant.api import create_api

    app = create_api(settings, assistant)
    # Load the index now, in the loader's thread, while Gradio is imported and the UI is built below
    # (the lifespan's start() is then a no-op); /health answers 503 until it is ready.
    app.state.loader.start()

    import gradio as gr

    from assistant.limits import LimitedAssistant
    from assistant.security import export_allowed
    from assistant.ui import build_ui, mount_options

    limiter, get = app.state.limiter, app.state.loader.get
    # the UI's answers share the API's generation slots and deadline (assistant/limits.py)
    ui = build_ui(
        lambda: cast("Assistant", LimitedAssistant(get(), limiter)),
        feedback=app.state.feedback,
        # 导出全部反馈 only for an admin key (or, without keys, this machine): assistant/auth.py
        can_export=lambda headers, client: export_allowed(app, headers, client),
    )
    return gr.mount_gradio_app(
        app,
        ui,
        path="/",
        server_name=settings.host,
        server_port=settings.port,
        footer_links=["api"],
        run_history=False,
        ssr_mode=False,
        **mount_options(),  # theme, CSS, the page script, Gradio's labels in Chinese
        show_error=True,
    )


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
