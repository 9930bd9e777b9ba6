"""A company describing itself in the chat: the plan's clauses that apply to it, by chapter.

The company's cluster is found from what it makes: the 专栏2 cluster it names, else the cluster
whose own item in the plan (专栏3/专栏4: "（十三）现代轻工纺织产业集群。…泳装…") shares the most
specific words with the description. That item is shown first with its target, named by the
cluster. The rest comes from the policy matcher (:mod:`assistant.policy`), the same one behind
the 企业政策匹配 tab, so the chat and the tab agree.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from ...extractive import Sentence, split_sentences
from ...normalize import match_key
from ...parse import ITEM_NUMBER_RE
from ...policy import TRAITS, PolicyMatcher, Profile
from ...query import PREFECTURES
from ..intent import Request
from ..model import Entity
from ..weights import CLUSTER_MEANING_Z, CLUSTER_Z
from .common import Context, Draft, cite
from .targets import is_target

_CLAUSES = 8
_TARGET_SOURCES = 5  # clauses whose item's targets are shown
_TARGETS = 3
# a cluster is the company's when its item shares this much idf weight with the description
_MIN_CLUSTER_WEIGHT = 4.0
_NAMED = 2.0  # weight of a word of the cluster's name against one of its item's text
_RARE = 3  # a word of the question the plan uses in at most this many sentences is specific to it
_RARE_SHOWN = 4
_BARE_HEAD = 16  # characters: an item's head this short says only whose item it is


def _cluster_item(cluster: Entity) -> list[Sentence]:
    """The sentences of the paragraphs headed by the cluster (its item in 专栏3/专栏4)."""
    key = match_key(cluster.name)
    return [
        s
        for s in cluster.mentions
        if key in s.lead_key
        and s.location.kind == "box"
        and s.location.paragraphs[s.paragraph_index].text.count("产业集群") == 1
    ]  # not 专栏2's lists, which name several clusters


def cluster_of(req: Request, ctx: Context) -> tuple[Entity, list[Sentence]] | None:
    """The cluster the company belongs to, with its item's sentences."""
    named = [e for e in req.entities if e.kind == "cluster"]
    if named:
        return named[0], _item_sentences(named[0], ctx)
    extractor = ctx.model.extractor
    terms = [t for t in req.q.terms if len(t) >= 2 and t not in PREFECTURES]
    z = _meaning(ctx)
    best: tuple[float, Entity | None, float] = (0.0, None, 0.0)
    closest: tuple[float, Entity | None] = (-1e9, None)
    by_meaning: tuple[float, Entity | None] = (CLUSTER_MEANING_Z, None)
    for cluster in ctx.model.clusters:
        item = _item_sentences(cluster, ctx)
        text = "".join(s.key for s in item)
        name = match_key(cluster.name)
        shared = [t for t in terms if match_key(t) in text]
        # a word of the cluster's own name (航空 of 航空航天装备) says what the company is more than a
        # word its item uses in passing (结构件 in 工业母机's "航空航天结构件加工")
        weight = sum(extractor.idf(t) * (_NAMED if match_key(t) in name else 1.0) for t in shared)
        closeness = max((z(s.location.id, s.paragraph_index) for s in item), default=0.0)
        if weight > best[0]:
            best = (weight, cluster, closeness)
        if closeness > closest[0]:
            closest = (closeness, cluster)
        if shared and closeness > by_meaning[0]:
            by_meaning = (closeness, cluster)
    weight, found, closeness = best
    # the words must be what the company makes, so the item they point to must read like the company
    # in meaning too (the closest of all items, or clearly close): 原料 and 年产 do not make a
    # surfactant plant a steel maker, nor 出口 a piano factory a railway-equipment maker
    if found is None or weight < _MIN_CLUSTER_WEIGHT or (found is not closest[1] and closeness < CLUSTER_Z):
        # no decisive word: the item clearly closest in meaning that has a word of the company's
        # (a CAE software firm's 人工智能及新一代信息技术, a cold-chain firm's 生产性服务业)
        found = by_meaning[1]
    return (found, _item_sentences(found, ctx)) if found is not None else None


def _meaning(ctx: Context) -> Callable[[str, int], float]:
    """A paragraph's closeness in meaning to the description, in standard deviations above the mean
    of all paragraphs (raw cosines of any embedder sit in a narrow band)."""
    values = list(ctx.dense.values())
    if len(values) < 2:
        return lambda loc, paragraph: 0.0
    mean, spread = statistics.fmean(values), statistics.pstdev(values) or 1.0
    return lambda loc, paragraph: (ctx.dense.get((loc, paragraph), mean) - mean) / spread


def _item_sentences(cluster: Entity, ctx: Context) -> list[Sentence]:
    heads = {(s.location.id, s.paragraph_index) for s in _cluster_item(cluster)}
    return [
        s for (loc, para) in heads for s in ctx.model.extractor.sentences[loc] if s.paragraph_index == para
    ]


def _rare_mentions(req: Request, ctx: Context) -> list[Sentence]:
    """Sentences with a word of the question that the plan uses in only a few places."""
    out: list[Sentence] = []
    for term in req.q.terms:
        key = match_key(term)
        if len(key) < 2 or term in PREFECTURES:
            continue
        found = [s for s in ctx.model.sentences if key in s.key]
        if 1 <= len(found) <= _RARE:
            out += [w for s in found if (w := _with_content(s)) not in out]
    return out[:_RARE_SHOWN]


def _with_content(s: Sentence) -> Sentence:
    """An item's bare head ("27. 灯塔市。") with the sentence after it, which says what it is for."""
    para = s.location.paragraphs[s.paragraph_index].text
    if not (ITEM_NUMBER_RE.match(s.text) and len(s.text) <= _BARE_HEAD) or not para.startswith(s.text):
        return s
    rest = split_sentences(para[len(s.text) :])
    return Sentence(s.location, s.paragraph_index, s.text + rest[0]) if rest else s


def profile_of(req: Request, cluster: Entity | None) -> Profile:
    city = next((c for c in PREFECTURES if c in req.text), "")
    traits = tuple(t for t, words in TRAITS.items() if t in req.text or any(w in req.text for w in words))
    return Profile(industry=cluster.name if cluster else "", city=city, traits=traits, description=req.text)


def compose(req: Request, ctx: Context, matcher: PolicyMatcher) -> Draft | None:
    found = cluster_of(req, ctx)
    cluster, item = found if found else (None, [])
    profile = profile_of(req, cluster)
    report = matcher.match(profile, ctx.dense, k=_CLAUSES)
    if not report.groups and not item:
        return None
    doc = ctx.model.doc
    lines: list[str] = []
    citations = []
    if cluster is not None and item:
        # the cluster's own item: its head, the sentences sharing the company's words, its target
        terms = [match_key(t) for t in req.q.terms if len(t) >= 2]
        shown = [item[0]] + [s for s in item[1:] if is_target(s) or any(t in s.key for t in terms)]
        loc = item[0].location
        lines.append(f"所属产业集群：{cluster.name}（{loc.cite}）")
        lines += [f"· {s.text}" for s in shown]
        citations += [cite(loc, s.text) for s in shown]
    # what the plan says about the company's own rare words: its county (兴城, 西丰), its product
    for sent in _rare_mentions(req, ctx):
        if not any(sent.text == c.quote for c in citations):
            lines.append(f"· {sent.text}（{sent.location.cite}）")
            citations.append(cite(sent.location, sent.text))
    n = 0
    for heading, clauses in report.groups:
        lines.append(f"【{heading}】")
        for c in clauses:
            if any(c.quote in x.quote for x in citations):
                continue  # shown already, or within a quote shown (an item's head with its content)
            n += 1
            loc = doc[c.location]
            head = loc.paragraphs[c.paragraph].lead if c.paragraph >= 0 else None
            owner = f"（{head}）" if head and head not in c.quote else ""
            lines.append(f"{n}. {c.quote}{owner} ——{loc.cite}")
            citations.append(cite(loc, c.quote))
    # the targets of the items the best clauses belong to, each named by its item
    targets = [(t.location, t.paragraph, t.quote) for t in report.targets]
    for c in report.clauses[:_TARGET_SOURCES]:
        for s in ctx.model.extractor.sentences[c.location]:
            if s.paragraph_index == c.paragraph and is_target(s):
                targets.append((c.location, c.paragraph, s.text))
    seen = {c.quote for c in citations}
    added = 0
    for loc_id, paragraph, quote in targets:
        loc = doc[loc_id]
        head = loc.paragraphs[paragraph].lead if paragraph >= 0 else None
        if not head or quote in seen or added == _TARGETS:
            continue  # a target is shown only with the item it belongs to
        seen.add(quote)
        added += 1
        lines.append(f"目标（{head.strip('。')}）：{quote} ——{loc.cite}")
        citations.append(cite(loc, quote))
    about = "，".join(
        x
        for x in (
            f"城市：{profile.city}" if profile.city else "",
            f"类型：{'、'.join(profile.traits)}" if profile.traits else "",
        )
        if x
    )
    head_line = "根据您描述的企业情况" + (f"（{about}）" if about else "") + "，规划中与您相关的内容如下：\n"
    return Draft(
        "enterprise", False, head_line + "\n".join(lines), tuple(citations), tuple(map(str, range(1, n + 1)))
    )
