"""The persisted index: chunks, BM25 over jieba tokens, FAISS over embeddings, and a manifest.

What is embedded is chosen by purpose. Each paragraph, and each sentence of it, is embedded as its
own text, without its title path (a shared title prefix made every paragraph of a section look alike
to the embedder and halved the dense recall on everyday language), once per embedder: these are the
dense channels (a sentence channel finds the one clause a question in everyday words is about).
Titles, paragraph leads and box item heads are searched in a small BM25 channel of their own
(``titles.json`` + ``titles/``); the chunk BM25 keeps the title path with the text (the plan's own
terms). Retrieval fuses the channels (:mod:`.retrieve`). The plan's words grouped by sound for
typo correction (``vocabulary.json``, :func:`assistant.answering.normalize.sound_tables`) are
computed here too: reading them with pypinyin at every start took about half a second.

Embedding is the slow part of a build, so vectors are cached by the sha256 of the text they embed:
a rebuild reuses every vector of the old index whose text and embedder are unchanged.

``index/manifest.json`` records what the index was built from (corpus sha256, chunker version,
embedder ids, dimension, vocabulary version) and the sha256 of every file. On load, any
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
import re
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

from .answering.normalize import VOCABULARY_VERSION, SoundTables, sound_tables
from .chunk import CHUNKER_VERSION, Chunk, chunk_document
from .embed import BATCH, Embedder, parts
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
SENTENCES = "sentences.json"
TITLES = "titles.json"
TITLES_BM25_DIR = "titles"
VOCABULARY = "vocabulary.json"
_SENTENCE = re.compile(r"[^。；！？]+[。；！？]?")
MIN_SENTENCE_CHARS = 4


def vectors_file(n: int, unit: str = "paragraphs") -> str:
    """The FAISS file of the ``n``-th embedder's vectors (``vectors.faiss`` = the first's paragraphs)."""
    base = "vectors" if unit == "paragraphs" else "sentence-vectors"
    return f"{base}.faiss" if n == 0 else f"{base}-{n + 1}.faiss"


def sentences(text: str) -> list[str]:
    """The sentences and clauses of a paragraph (split after 。；！？), each at least 4 characters."""
    return [s.strip() for s in _SENTENCE.findall(text) if len(s.strip()) >= MIN_SENTENCE_CHARS]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_key(embedder_id: str, text: str) -> str:
    """Embedding-cache key: the embedder and the sha256 of the exact text embedded."""
    return f"{embedder_id}:{_sha(text)}"


@dataclass(frozen=True)
class Manifest:
    corpus_sha256: str
    chunker_version: str
    chunk_tokens: int
    embedder: str  # the embedder setting's id ("+"-joined for several)
    dim: int  # the first embedder's dimension
    chunks: int
    built_at: str
    build_seconds: float
    files: dict[str, str]
    embedders: list[str] = field(default_factory=list)  # one id per dense channel, in file order
    paragraphs: int = 0
    sentences: int = 0
    embedded: int = 0  # texts embedded by this build (the rest came from the cache)
    vocabulary_version: str = ""  # of the stored sound tables (VOCABULARY_VERSION); "" = none stored


@dataclass
class Index:
    """Everything retrieval needs, loaded once."""

    manifest: Manifest
    chunks: list[Chunk]
    vectors: faiss.Index  # the first embedder's paragraph vectors (FAISS, inner product)
    bm25: bm25s.BM25
    tokenizer: Tokenizer
    directory: Path | None  # None when it lives only in memory (read-only index dir)
    # One vector per paragraph, its own text: the dense channels, and the passage inside a location
    # for questions in everyday words (the answering layer's paragraph scores).
    paragraphs: list[tuple[str, int]] = field(default_factory=list)  # (location, paragraph index)
    paragraph_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    paragraph_chunk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    paragraph_keys: list[str] = field(default_factory=list)  # sha256 of each paragraph's text
    dense: dict[str, np.ndarray] = field(default_factory=dict)  # embedder id -> paragraph vectors
    # every sentence of every paragraph: its chunk, text sha256 and vectors per embedder
    sentence_chunk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sentence_paragraph: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sentence_keys: list[str] = field(default_factory=list)
    dense_sentences: dict[str, np.ndarray] = field(default_factory=dict)
    # the title channel: titles, paragraph leads and item heads, each pointing at a chunk
    titles: list[tuple[str, int]] = field(default_factory=list)  # (text, chunk index)
    title_bm25: bm25s.BM25 | None = None
    # the plan's words by sound and by first character, for typo correction (answering layer)
    vocabulary: SoundTables = field(default_factory=lambda: {"by_sound": {}, "by_initial": {}})


def make_tokenizer(doc: Document) -> Tokenizer:
    titles = [loc.title for loc in doc.locations] + [c.title for c in doc.chapters]
    titles += [r.name for r in doc.indicators]
    items = [p.text for loc in doc.boxes for p in loc.paragraphs]
    return Tokenizer(plan_terms(titles, items))


def plan_words(doc: Document, tokenizer: Tokenizer) -> set[str]:
    """The plan's words: its own terms and jieba's search-mode tokens of every location and title path."""
    words: set[str] = set(tokenizer.user_terms)
    for loc in doc.locations:
        words.update(tokenizer.tokens(loc.text))
        words.update(tokenizer.tokens(loc.path))
    return words


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


def paragraph_units(doc: Document, chunks: list[Chunk]) -> tuple[list[tuple[str, int]], list[int]]:
    """Every paragraph (location, index) and the chunk that holds it."""
    by_location: dict[str, list[int]] = {}
    for n, c in enumerate(chunks):
        by_location.setdefault(c.location, []).append(n)
    keys: list[tuple[str, int]] = []
    owners: list[int] = []
    for loc in doc.locations:
        ids = by_location[loc.id]
        for i, p in enumerate(loc.paragraphs):
            keys.append((loc.id, i))
            owners.append(next((n for n in reversed(ids) if chunks[n].start <= p.start), ids[0]))
    return keys, owners


def title_entries(doc: Document, chunks: list[Chunk], owners: list[int]) -> list[tuple[str, int]]:
    """The title channel: each location's title path (→ its first chunk), each paragraph lead and box
    item head (→ the chunk holding the paragraph)."""
    first: dict[str, int] = {}
    for n, c in enumerate(chunks):
        first.setdefault(c.location, n)
    entries = [(loc.path, first[loc.id]) for loc in doc.locations]
    n = 0
    for loc in doc.locations:
        for p in loc.paragraphs:
            if p.lead:
                entries.append((f"{loc.heading} {p.lead}", owners[n]))
            n += 1
    return entries


def _bm25(tokenizer: Tokenizer, texts: list[str]) -> bm25s.BM25:
    bm25 = bm25s.BM25()
    bm25.index([tokenizer.tokens(t) for t in texts], show_progress=False)
    return bm25


def embed_cached(
    embedder: Embedder,
    texts: list[str],
    cache: dict[str, np.ndarray] | None = None,
    show_progress: bool = False,
    desc: str = "embedding",
) -> tuple[np.ndarray, int]:
    """Vectors of ``texts`` (reusing ``cache`` entries by :func:`text_key`); also how many were embedded."""
    cache = cache or {}
    matrix = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    todo: list[int] = []
    for n, text in enumerate(texts):
        hit = cache.get(text_key(embedder.id, text))
        if hit is not None and hit.shape == (embedder.dim,):
            matrix[n] = hit
        else:
            todo.append(n)
    for i in tqdm(range(0, len(todo), BATCH), desc=desc, unit="batch", disable=not show_progress):
        batch = todo[i : i + BATCH]
        matrix[batch] = embedder.embed_passages([texts[n] for n in batch])
    return matrix, len(todo)


def _faiss(matrix: np.ndarray) -> faiss.Index:
    vectors = faiss.IndexFlatIP(matrix.shape[1])
    vectors.add(np.ascontiguousarray(matrix, dtype=np.float32))
    return vectors


def build(
    doc: Document,
    embedder: Embedder,
    chunk_tokens: int,
    show_progress: bool = True,
    cache: dict[str, np.ndarray] | None = None,
) -> Index:
    """Chunk, tokenise and embed the document; ``cache`` (from :func:`read_cache`) saves re-embedding."""
    started = time.perf_counter()
    chunks = chunk_document(doc, chunk_tokens)
    tokenizer = make_tokenizer(doc)
    bm25 = _bm25(tokenizer, [c.search_text for c in chunks])
    paragraphs, owners = paragraph_units(doc, chunks)
    texts = [doc[loc].paragraphs[i].text for loc, i in paragraphs]
    units = [
        (s, owner, n)
        for n, (text, owner) in enumerate(zip(texts, owners, strict=True))
        for s in sentences(text)
    ]
    titles = title_entries(doc, chunks, owners)
    title_bm25 = _bm25(tokenizer, [t for t, _ in titles])
    dense: dict[str, np.ndarray] = {}
    dense_sentences: dict[str, np.ndarray] = {}
    embedded = 0
    for part in parts(embedder):
        dense[part.id], n = embed_cached(part, texts, cache, show_progress, f"paragraphs ({part.id})")
        dense_sentences[part.id], m = embed_cached(
            part, [s for s, _, _ in units], cache, show_progress, f"sentences ({part.id})"
        )
        embedded += n + m
    first = next(iter(dense.values()))
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
        embedders=list(dense),
        paragraphs=len(paragraphs),
        sentences=len(units),
        embedded=embedded,
        vocabulary_version=VOCABULARY_VERSION,
    )
    keys = [_sha(t) for t in texts]
    return Index(
        manifest,
        chunks,
        _faiss(first),
        bm25,
        tokenizer,
        None,
        paragraphs,
        first,
        np.asarray(owners, dtype=np.int64),
        keys,
        dense,
        np.asarray([owner for _, owner, _ in units], dtype=np.int64),
        np.asarray([n for _, _, n in units], dtype=np.int64),
        [_sha(s) for s, _, _ in units],
        dense_sentences,
        titles,
        title_bm25,
        sound_tables(plan_words(doc, tokenizer)),
    )


def save(index: Index, directory: Path) -> Path:
    """Write the index to a sibling temp dir, then swap it in place of ``directory``."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        with (tmp / CHUNKS).open("w", encoding="utf-8") as fh:
            for c in index.chunks:
                fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
        for n, matrix in enumerate(index.dense.values()):
            faiss.write_index(_faiss(matrix), str(tmp / vectors_file(n)))
        for n, matrix in enumerate(index.dense_sentences.values()):
            faiss.write_index(_faiss(matrix), str(tmp / vectors_file(n, "sentences")))
        index.bm25.save(str(tmp / BM25_DIR), show_progress=False)
        if index.title_bm25 is not None:
            index.title_bm25.save(str(tmp / TITLES_BM25_DIR), show_progress=False)
        (tmp / TERMS).write_text("\n".join(index.tokenizer.user_terms) + "\n", encoding="utf-8")
        rows = [
            [loc, i, int(c), key]
            for (loc, i), c, key in zip(
                index.paragraphs, index.paragraph_chunk, index.paragraph_keys, strict=True
            )
        ]
        (tmp / PARAGRAPHS).write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        units = [
            [int(p), int(c), key]
            for p, c, key in zip(
                index.sentence_paragraph, index.sentence_chunk, index.sentence_keys, strict=True
            )
        ]
        (tmp / SENTENCES).write_text(json.dumps(units), encoding="utf-8")
        (tmp / TITLES).write_text(json.dumps(index.titles, ensure_ascii=False), encoding="utf-8")
        (tmp / VOCABULARY).write_text(
            json.dumps(index.vocabulary, ensure_ascii=False, sort_keys=True), encoding="utf-8"
        )
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
        "vocabulary_version": VOCABULARY_VERSION,
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


def _read_vectors(directory: Path, n: int, unit: str = "paragraphs") -> np.ndarray:
    stored = faiss.read_index(str(directory / vectors_file(n, unit)))
    return np.asarray(stored.reconstruct_n(0, stored.ntotal), dtype=np.float32)


def load(directory: Path, doc: Document) -> Index:
    """Load an index that :func:`staleness` has found fresh."""
    manifest = read_manifest(directory)
    if manifest is None:
        raise IndexStateError(f"no readable manifest in {directory}")
    try:
        with (directory / CHUNKS).open(encoding="utf-8") as fh:
            chunks = [Chunk(**json.loads(line)) for line in fh]
        bm25 = bm25s.BM25.load(str(directory / BM25_DIR), show_progress=False)
        title_bm25 = bm25s.BM25.load(str(directory / TITLES_BM25_DIR), show_progress=False)
        rows = json.loads((directory / PARAGRAPHS).read_text("utf-8"))
        units = json.loads((directory / SENTENCES).read_text("utf-8"))
        titles = [(str(t), int(c)) for t, c in json.loads((directory / TITLES).read_text("utf-8"))]
        vocabulary = _sound_tables(json.loads((directory / VOCABULARY).read_text("utf-8")))
        dense = {eid: _read_vectors(directory, n) for n, eid in enumerate(manifest.embedders)}
        dense_sentences = {
            eid: _read_vectors(directory, n, "sentences") for n, eid in enumerate(manifest.embedders)
        }
        paragraphs = [(str(loc), int(i)) for loc, i, _, _ in rows]
        owners = np.asarray([int(c) for _, _, c, _ in rows], dtype=np.int64)
        unit_owners = np.asarray([int(c) for _, c, _ in units], dtype=np.int64)
        unit_paragraphs = np.asarray([int(p) for p, _, _ in units], dtype=np.int64)
    except (OSError, ValueError, TypeError, RuntimeError) as exc:
        raise IndexStateError(f"the index in {directory} cannot be read: {exc}") from exc
    if (
        len(chunks) != manifest.chunks
        or not dense
        or any(m.shape[0] != len(paragraphs) for m in dense.values())
        or any(m.shape[0] != len(units) for m in dense_sentences.values())
        or next(iter(dense.values())).shape[1] != manifest.dim
        or any(len(o) and (o.max() >= len(chunks) or o.min() < 0) for o in (owners, unit_owners))
        or (len(unit_paragraphs) and (unit_paragraphs.max() >= len(paragraphs) or unit_paragraphs.min() < 0))
        or any(not 0 <= c < len(chunks) for _, c in titles)
    ):
        raise IndexStateError(f"the index in {directory} is inconsistent (item and vector counts differ)")
    first = next(iter(dense.values()))
    return Index(
        manifest,
        chunks,
        _faiss(first),
        bm25,
        make_tokenizer(doc),
        directory,
        paragraphs,
        first,
        owners,
        [str(k) for _, _, _, k in rows],
        dense,
        unit_owners,
        unit_paragraphs,
        [str(k) for _, _, k in units],
        dense_sentences,
        titles,
        title_bm25,
        vocabulary,
    )


def _sound_tables(data: object) -> SoundTables:
    """``vocabulary.json`` as :func:`sound_tables` made it (a ``ValueError`` when it is not)."""
    if not isinstance(data, dict) or set(data) != {"by_sound", "by_initial"}:
        raise ValueError(f"{VOCABULARY} does not hold the tables by_sound and by_initial")
    tables: SoundTables = {}
    for name, table in data.items():
        if not isinstance(table, dict) or not all(
            isinstance(words, list) and all(isinstance(w, str) for w in words) for words in table.values()
        ):
            raise ValueError(f"{VOCABULARY}: {name} is not a table of words")
        tables[name] = table
    return tables


def read_cache(directory: Path) -> dict[str, np.ndarray]:
    """The embedding cache held by an index on disk (stale or not): text key → vector.

    Anything unreadable just yields fewer cached vectors; the build embeds what is missing.
    """
    manifest = read_manifest(directory)
    if manifest is None:
        return {}
    try:
        keys = {
            "paragraphs": [str(row[3]) for row in json.loads((directory / PARAGRAPHS).read_text("utf-8"))],
            "sentences": [str(row[2]) for row in json.loads((directory / SENTENCES).read_text("utf-8"))],
        }
        cache: dict[str, np.ndarray] = {}
        for n, eid in enumerate(manifest.embedders):
            for unit, unit_keys in keys.items():
                matrix = _read_vectors(directory, n, unit)
                if matrix.shape[0] == len(unit_keys):
                    cache.update((f"{eid}:{k}", v) for k, v in zip(unit_keys, matrix, strict=True))
        return cache
    except (OSError, ValueError, TypeError, RuntimeError, IndexError):
        return {}


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
    cache = {} if force else read_cache(directory)
    index = build(doc, embedder, chunk_tokens, cache=cache) if cache else build(doc, embedder, chunk_tokens)
    try:
        save(index, directory)
        log.warning(
            "index rebuilt in %.1fs (%d texts embedded, %d from the cache) and saved to %s",
            index.manifest.build_seconds,
            index.manifest.embedded,
            (len(index.paragraphs) + len(index.sentence_keys)) * len(index.dense) - index.manifest.embedded,
            directory,
        )
    except OSError as exc:
        log.error("index rebuilt but cannot be saved to %s (%s); serving it from memory", directory, exc)
    return index
