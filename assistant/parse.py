"""Parse the plan text into its structure: preface, chapters, sections, boxes, paragraphs.

The source is a PDF-to-text conversion with quirks (see ``docs``/corpus notes): a table of
contents first, page breaks inside sentences (some duplicating a character), box headers
repeated on every page, and one box whose header line is missing. This module repairs all of
them into an immutable :class:`Document` whose every location carries character offsets into
the unmodified corpus, so quotes can always be verified against the file itself.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .errors import CorpusError
from .indicators import IndicatorRow, parse_indicator_table
from .normalize import cn_to_int, int_to_cn, norm

LocationKind = Literal["preface", "intro", "section", "box"]

_CN = "一二三四五六七八九十"
CHAPTER_RE = re.compile(rf"^第([{_CN}]+)章\s*(.+?)\s*$")
SECTION_RE = re.compile(rf"^第([{_CN}]+)节\s*(.+?)\s*$")
BOX_RE = re.compile(r"^专栏\s*(\d+)\s*(.*?)\s*$")
# An enumerated sub-heading inside a box, e.g. "（一）世界级" or "(一) 赋能科学技术".
SUBHEAD_RE = re.compile(rf"^[（(][{_CN}]+[）)]\s*[^。；，]{{1,16}}$")
# An item's number where a paragraph or box line starts: "（四）", "(4)", "1.", "1．", "1、". Group 1 holds a
# Chinese number, group 2 a digit one. Every module that reads items uses this one pattern.
ITEM_NUMBER_RE = re.compile(rf"^\s*(?:[（(]([{_CN}]+)[）)]|(\d+)[.．、])\s*")
_ITEM_NUMBER = rf"(?:[（(][{_CN}]+[）)]\s*|\d+[.．、]\s*)"  # the same, without groups, inside other patterns
# A line that ends a sentence (or a sub-heading) cannot continue across a page break.
SENTENCE_END = tuple("。！？；：”」』")
LEAD_RE = re.compile(rf"^{_ITEM_NUMBER}?([^。，；：！？]{{2,30}})。")
# An enumerated box item may name its subject before a colon: "（一）未来制造：支持…".
ITEM_LEAD_RE = re.compile(rf"^{_ITEM_NUMBER}([^。，；：！？]{{2,30}})[：:]")


def strip_item_number(text: str) -> str:
    """An item's head or lead as a name: its number and closing mark dropped ("（四）核工业装备产业集群。"
    → "核工业装备产业集群")."""
    return ITEM_NUMBER_RE.sub("", text, count=1).rstrip("。；;：:")


# 专栏26 has no header line in the source; its title is not printed anywhere, so the title below is
# an editorial label chosen from its content (flagged by ``Location.recovered``), never a quote.
RECOVERED_BOX_TITLES = {26: "水安全保障重点工程"}


@dataclass(frozen=True)
class Paragraph:
    """One paragraph with page breaks repaired; ``start``/``end`` are offsets in the corpus."""

    text: str
    start: int
    end: int
    lead: str | None = None


@dataclass(frozen=True)
class Location:
    """A citable place in the plan: preface, chapter intro, section or box."""

    id: str
    kind: LocationKind
    chapter: int
    number: int
    heading: str
    title: str
    title_path: tuple[str, ...]
    paragraphs: tuple[Paragraph, ...]
    parent: str | None = None
    recovered: bool = False

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)

    @property
    def path(self) -> str:
        return " › ".join(self.title_path)

    @property
    def start(self) -> int:
        return self.paragraphs[0].start if self.paragraphs else 0

    @property
    def end(self) -> int:
        return self.paragraphs[-1].end if self.paragraphs else 0

    @property
    def cite(self) -> str:
        """How an answer names this location, e.g. 第十四章第二节「推动能源绿色低碳转型」."""
        if self.kind == "section":
            return f"第{int_to_cn(self.chapter)}章第{int_to_cn(self.number)}节「{self.title}」"
        if self.kind == "box":
            return f"专栏{self.number}「{self.title}」"
        if self.kind == "intro":
            return f"第{int_to_cn(self.chapter)}章「{self.title}」引言"
        return "规划序言"


@dataclass(frozen=True)
class TocEntry:
    kind: Literal["chapter", "section"]
    chapter: int
    number: int
    title: str
    page: int | None


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    heading: str
    locations: tuple[str, ...]  # intro (if any), then sections and boxes in reading order


@dataclass(frozen=True)
class Document:
    text: str
    sha256: str
    chapters: tuple[Chapter, ...]
    locations: tuple[Location, ...]
    toc: tuple[TocEntry, ...]
    indicators: tuple[IndicatorRow, ...]
    _by_id: dict[str, Location] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({loc.id: loc for loc in self.locations})

    def get(self, location_id: str) -> Location | None:
        return self._by_id.get(location_id.split("#", 1)[0])

    def __getitem__(self, location_id: str) -> Location:
        loc = self.get(location_id)
        if loc is None:
            raise KeyError(location_id)
        return loc

    @property
    def boxes(self) -> tuple[Location, ...]:
        return tuple(loc for loc in self.locations if loc.kind == "box")

    @property
    def sections(self) -> tuple[Location, ...]:
        return tuple(loc for loc in self.locations if loc.kind == "section")

    def boxes_of(self, section_id: str) -> tuple[Location, ...]:
        return tuple(b for b in self.boxes if b.parent == section_id)


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class _Line:
    text: str  # stripped of surrounding whitespace
    start: int
    end: int
    raw: str  # the whole line as printed (table rows keep their tabs)

    @property
    def tabbed(self) -> bool:
        return "\t" in self.raw


def _lines(text: str) -> list[_Line]:
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            out.append(_Line(stripped, pos + lead, pos + lead + len(stripped), raw))
        pos += len(raw) + 1
    return out


def _heading_number(numeral: str, line: str) -> int:
    """A chapter or section number (1..99); anything else means the text is damaged."""
    value = cn_to_int(numeral)
    if not 0 < value < 100:
        raise CorpusError(f"implausible heading number {value} in line {line[:40]!r}")
    return value


def _is_heading(line: str) -> bool:
    return bool(CHAPTER_RE.match(line) or SECTION_RE.match(line) or BOX_RE.match(line))


# --------------------------------------------------------------------------- TOC


_TOC_NOISE = re.compile(r"[.·…]{2,}|…|\s+\d+\s*$|\t")


def _parse_toc(lines: list[_Line]) -> tuple[tuple[TocEntry, ...], int]:
    """Parse the table of contents; return its entries and the index of the first body line.

    The body starts at the first long, sentence-ending line (the preface).
    """
    body_start = next((i for i, ln in enumerate(lines) if len(ln.text) > 60 and ln.text.endswith("。")), None)
    if body_start is None:
        raise CorpusError("could not find the start of the body (the preface paragraph)")
    entries: list[tuple[str, int, int, str, int | None]] = []
    chapter = 0
    for ln in lines[:body_start]:
        page_match = re.search(r"(\d+)\s*$", ln.text)
        page = int(page_match.group(1)) if page_match else None
        clean = _TOC_NOISE.sub(" ", ln.text).strip()
        clean = re.sub(r"\s*\d+$", "", clean).strip(" .·…")
        m_ch, m_sec = CHAPTER_RE.match(clean), SECTION_RE.match(clean)
        if m_ch:
            chapter = _heading_number(m_ch.group(1), clean)
            entries.append(("chapter", chapter, chapter, m_ch.group(2), page))
        elif m_sec:
            entries.append(("section", chapter, _heading_number(m_sec.group(1), clean), m_sec.group(2), page))
        elif entries and clean and not clean.isdigit():
            kind, ch, num, title, old_page = entries[-1]  # a title wrapped onto a second line
            entries[-1] = (kind, ch, num, title + clean, page or old_page)
        elif entries and page is not None and entries[-1][4] is None:
            kind, ch, num, title, _ = entries[-1]
            entries[-1] = (kind, ch, num, title, page)
    toc = tuple(
        TocEntry(kind, ch, num, re.sub(r"\s+", " ", title).strip(), page)  # type: ignore[arg-type]
        for kind, ch, num, title, page in entries
    )
    return toc, body_start


# --------------------------------------------------------------------------- paragraphs


def _join_breaks(lines: list[_Line]) -> list[Paragraph]:
    """Rebuild paragraphs cut by page breaks.

    A line that does not end a sentence continues on the next line, unless that line is a
    heading or starts a new enumerated item. A character repeated on both sides of the break
    (``国家实`` / ``实验室``) is a conversion artefact and is kept once.
    """
    paragraphs: list[Paragraph] = []
    i = 0
    while i < len(lines):
        cur = lines[i]
        body, start, end = cur.text, cur.start, cur.end
        while (
            i + 1 < len(lines)
            and not cur.tabbed
            and not body.endswith(SENTENCE_END)
            and not SUBHEAD_RE.match(body)
            and not _is_heading(lines[i + 1].text)
            and not ITEM_NUMBER_RE.match(lines[i + 1].text)
            and not lines[i + 1].tabbed
        ):
            nxt = lines[i + 1].text
            if nxt[:1] == body[-1:] and not nxt[:1].isascii():
                nxt = nxt[1:]
            body += nxt
            end = lines[i + 1].end
            i += 1
        lead_match = LEAD_RE.match(body) or ITEM_LEAD_RE.match(body)
        paragraphs.append(Paragraph(body, start, end, lead_match.group(1) if lead_match else None))
        i += 1
    return paragraphs


# --------------------------------------------------------------------------- body


@dataclass
class _Block:
    kind: LocationKind
    chapter: int
    number: int
    title: str
    lines: list[_Line]
    titles_seen: list[str] = field(default_factory=list)
    parent: str | None = None


def _split_blocks(lines: list[_Line]) -> list[_Block]:
    """Split body lines into preface / intro / section / box blocks; merge repeated box headers."""
    blocks: list[_Block] = [_Block("preface", 0, 0, "序言", [])]
    chapter, section_id = 0, "preface"
    for ln in lines:
        m_ch, m_sec, m_box = CHAPTER_RE.match(ln.text), SECTION_RE.match(ln.text), BOX_RE.match(ln.text)
        if m_ch:
            chapter = _heading_number(m_ch.group(1), ln.text)
            blocks.append(_Block("intro", chapter, 0, m_ch.group(2), []))
            section_id = f"ch{chapter}.s0"
        elif m_sec:
            number = _heading_number(m_sec.group(1), ln.text)
            blocks.append(_Block("section", chapter, number, m_sec.group(2), []))
            section_id = f"ch{chapter}.s{number}"
        elif m_box:
            if len(m_box.group(1)) > 3:  # the plan has a few dozen boxes; a huge number would make
                # the search for missing boxes below run over a huge range
                raise CorpusError(f"implausible box number in line {ln.text[:40]!r}")
            number, title = int(m_box.group(1)), m_box.group(2).strip()
            current = blocks[-1]
            if current.kind == "box" and current.number == number:
                current.titles_seen.append(title)  # the same box's header repeated on a new page
            else:
                blocks.append(_Block("box", chapter, number, title, [], [title], section_id))
        else:
            blocks[-1].lines.append(ln)
    return blocks


def _recover_missing_boxes(blocks: list[_Block]) -> list[_Block]:
    """Give a box whose header line was lost its number back.

    For a gap N in the box numbers, the items of box N are the run of enumerated lines
    ``(一)…``/``（一）…`` that ends a section between box N-1 and box N+1.
    """
    numbers = [b.number for b in blocks if b.kind == "box"]
    missing = sorted(set(range(1, max(numbers, default=0) + 1)) - set(numbers))
    for n in missing:
        prev_idx = next((i for i, b in enumerate(blocks) if b.kind == "box" and b.number == n - 1), 0)
        next_idx = next(
            (i for i, b in enumerate(blocks) if b.kind == "box" and b.number == n + 1), len(blocks)
        )
        for idx in range(prev_idx + 1, next_idx):
            block = blocks[idx]
            if block.kind != "section":
                continue
            first = next((j for j, ln in enumerate(block.lines) if re.match(r"^[（(]一[）)]", ln.text)), None)
            if first is None or not all(
                ITEM_NUMBER_RE.match(ln.text) or not ln.text.startswith(("（", "("))
                for ln in block.lines[first:]
            ):
                continue
            box_lines, block.lines = block.lines[first:], block.lines[:first]
            title = RECOVERED_BOX_TITLES.get(n, "（原文缺标题）")
            parent = f"ch{block.chapter}.s{block.number}"
            recovered = _Block("box", block.chapter, n, title, box_lines, [], parent)
            blocks.insert(idx + 1, recovered)
            break
        else:
            raise CorpusError(f"专栏{n} is missing and its items could not be found")
    return blocks


def _location(block: _Block, chapter_heading: str) -> Location:
    paragraphs = tuple(_join_breaks(block.lines))
    if block.kind == "preface":
        return Location("preface", "preface", 0, 0, "序言", "序言", ("序言",), paragraphs)
    if block.kind == "intro":
        return Location(
            f"ch{block.chapter}.s0",
            "intro",
            block.chapter,
            0,
            chapter_heading,
            block.title,
            (chapter_heading,),
            paragraphs,
        )
    if block.kind == "section":
        heading = f"第{int_to_cn(block.number)}节 {block.title}"
        return Location(
            f"ch{block.chapter}.s{block.number}",
            "section",
            block.chapter,
            block.number,
            heading,
            block.title,
            (chapter_heading, heading),
            paragraphs,
        )
    # A repeated header may carry a typo in one copy: the most frequent spelling wins.
    title = Counter(block.titles_seen).most_common(1)[0][0] if block.titles_seen else block.title
    recovered = not block.titles_seen
    heading = f"专栏{block.number} {title}" + ("（标题据内容补拟）" if recovered else "")
    return Location(
        f"box{block.number}",
        "box",
        block.chapter,
        block.number,
        heading,
        title,
        (chapter_heading, heading),
        paragraphs,
        block.parent,
        recovered,
    )


def parse_text(text: str) -> Document:
    """Parse the plan text into a :class:`Document`."""
    lines = _lines(text)
    toc, body_start = _parse_toc(lines)
    blocks = _recover_missing_boxes(_split_blocks(lines[body_start:]))
    chapter_headings: dict[int, str] = {}
    for b in blocks:
        if b.kind == "intro":
            chapter_headings[b.chapter] = f"第{int_to_cn(b.chapter)}章 {b.title}"
    locations: list[Location] = []
    for b in blocks:
        if b.kind == "intro" and not b.lines:
            continue  # chapter 1 has no intro paragraph
        locations.append(_location(b, chapter_headings.get(b.chapter, "")))
    chapters = tuple(
        Chapter(
            n,
            heading.split(" ", 1)[1],
            heading,
            tuple(loc.id for loc in locations if loc.chapter == n and loc.kind != "preface"),
        )
        for n, heading in sorted(chapter_headings.items())
    )
    box1 = next((b for b in blocks if b.kind == "box" and b.number == 1), None)
    rows = parse_indicator_table([ln.raw for ln in box1.lines]) if box1 else ()
    return Document(
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        chapters=chapters,
        locations=tuple(locations),
        toc=toc,
        indicators=tuple(rows),
    )


def parse_file(path: Path) -> Document:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CorpusError(f"cannot read the plan text at {path}: {exc}") from exc
    return parse_text(text)


def toc_mismatches(doc: Document) -> list[str]:
    """Differences between the TOC and the body headings (empty when they agree)."""
    body = {(loc.kind, loc.chapter, loc.number): norm(loc.title) for loc in doc.sections} | {
        ("chapter", c.number, c.number): norm(c.title) for c in doc.chapters
    }
    toc = {
        ("section" if e.kind == "section" else "chapter", e.chapter, e.number): norm(e.title) for e in doc.toc
    }
    problems = [f"in TOC only: {k} {v}" for k, v in toc.items() if k not in body]
    problems += [f"in body only: {k} {v}" for k, v in body.items() if k not in toc]
    problems += [
        f"title differs: {k} toc={toc[k]} body={v}" for k, v in body.items() if k in toc and toc[k] != v
    ]
    return problems
