# The two commands the README gives: `make run` (serve UI + API) and `make test`.
# Both create the virtualenv and install what they need on first use.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test test-all lint format typecheck index eval bench screenshots clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## serve the chat UI and the API on http://127.0.0.1:7860 (builds the index if needed)
	$(BIN)/python app.py --host $${RAG_HOST:-127.0.0.1} --port $${RAG_PORT:-7860}

test: $(STAMP)  ## the default suite: fast tests + the browser test when Chromium is installed
	$(BIN)/pytest

test-all: $(STAMP)  ## everything, including the slow index rebuild tests
	$(BIN)/pytest -m ""

lint: $(STAMP)
	$(BIN)/ruff check assistant tests app.py
	$(BIN)/ruff format --check assistant tests app.py
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format assistant tests app.py
	$(BIN)/ruff check --fix assistant tests app.py

typecheck: $(STAMP)
	$(BIN)/mypy

index: $(STAMP)  ## rebuild the index if the corpus, chunker or embedder changed
	$(BIN)/python -m assistant build-index

eval: $(STAMP)
	$(BIN)/python -m assistant eval

bench: $(STAMP)
	$(BIN)/python -m assistant bench

screenshots: $(STAMP)  ## refresh the README's pictures docs/ui*.png (needs Debian chromium + chromium-driver)
	$(BIN)/python -m assistant.ui.screenshots --out docs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
