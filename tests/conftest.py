"""Shared fixtures."""

from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.facade import Assistant


@pytest.fixture(scope="session")
def assistant() -> Assistant:
    """The real assistant (parsed plan, committed index, offline answering chain), loaded once."""
    return Assistant.load(Settings())


@pytest.fixture(scope="session")
def document(assistant: Assistant):  # type: ignore[no-untyped-def]
    """The parsed plan (the same one the assistant serves)."""
    return assistant.document


# --------------------------------------------------------------------------- HTTP (API, UI, browser)


@pytest.fixture(scope="session")
def http_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the HTTP tests: feedback goes to a temporary data dir, never the repo."""
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def api_client(http_settings: Settings, assistant: Assistant):  # type: ignore[no-untyped-def]
    """A TestClient over the API app (no UI), sharing the session's assistant."""
    from fastapi.testclient import TestClient

    from assistant.api import create_api

    with TestClient(create_api(http_settings, assistant)) as client:
        yield client


@pytest.fixture(scope="session")
def live_server(http_settings: Settings, assistant: Assistant):  # type: ignore[no-untyped-def]
    """The real app (API + UI, as app.py builds it) served by uvicorn on a free port; yields its URL."""
    from tests.helpers import app_module, serve

    with serve(app_module().build_app(http_settings, assistant)) as url:
        yield url
