"""How the plan addresses a problem: the leads and key sentences of the most relevant paragraphs.

For questions in everyday words ("老百姓看病难规划怎么解决？") the retrieval ranking (which includes
the meaning-based channel) picks the locations and paragraphs; each answer line is a paragraph's
lead with the sentence that best covers the question. Without evidence — no paragraph close in
meaning and none sharing the question's subject terms — the composer declines, and the answer
abstains instead of listing unrelated text.
"""

from __future__ import annotations

import numpy as np

from ...extractive import Sentence, split_sentences
from ...normalize import match_key
from ..intent import Request
from ..lexicon import lexicon
from ..weights import MIN_SHARE, MIN_Z, PLAN_WORDS_Z, WEAK_Z
from .common import Context, Draft, cite_sentences, subject_runs

_LINES = 3
_PHRASE = 4  # characters: a phrase of two words this long is the asker's subject, not chance
_SENTENCES = 2  # besides the lead, per paragraph
_RARE = 4.5  # idf of a question word specific enough that every paragraph naming it is a candidate


def _bigrams(key: str) -> set[str]:
    return {key[i : i + 2] for i in range(len(key) - 1)}


def compose(req: Request, ctx: Context, lines: int = _LINES) -> Draft | None:
    model, dense = ctx.model, ctx.dense
    doc = model.doc
    hit_rank = ctx.hit_rank
    candidates = {(loc, i) for loc in list(hit_rank)[:4] for i in range(len(doc[loc].paragraphs))}
    candidates |= set(sorted(dense, key=lambda k: -dense[k])[:8])
    everyday = lexicon().everyday_terms
    weighted = [
        (
            max(model.extractor.idf(t), 0.1),
            [match_key(t), *(match_key(x) for w, plan in everyday.items() if w in t for x in plan.split())],
        )
        for t in req.q.terms
        if not any(t in w for w in lexicon().overview)  # 怎么办 frames the question, it is no subject
    ]
    total = sum(w for w, _ in weighted) or 1.0
    # words the plan never writes (孩子, 便宜, 咋整) can be matched by nothing: for a question that
    # also names something specific the plan writes (托育), the share counts the plan's words only
    in_plan = [(w, alts) for w, alts in weighted if any(a and a in model.plan_key for a in alts)]
    plan_total = sum(w for w, _ in in_plan) or 1.0
    specific = [alts for w, alts in in_plan if w >= _RARE]
    terms = [alts[0] for w, alts in weighted if w > 1.0]
    qgrams = _bigrams(match_key(req.text))
    # the asker's own phrases the plan writes word for word ("沈阳片区", two words of the question
    # side by side): the paragraphs that have them are candidates and count first
    runs = [words for words, _ in subject_runs(req.text, model)]
    joined = [
        match_key("".join(w[i:j])) for w in runs for i in range(len(w)) for j in range(i + 2, len(w) + 1)
    ]
    phrases = [p for p in joined if len(p) >= _PHRASE and p in model.plan_key]
    if phrases:
        candidates |= {where for where, key in model.paragraph_keys.items() if any(k in key for k in phrases)}
    # the paragraphs naming the question's most specific word the plan uses (托育 in "孩子才两岁没人看
    # 有没有便宜点的托育"), which the retrieval of a long everyday question may rank low
    own = [alts[0] for w, alts in weighted if alts[0] in model.plan_key]
    rarest = max(own, key=model.extractor.idf, default=None)
    if rarest is not None and model.extractor.idf(rarest) >= _RARE:
        candidates |= {where for where, key in model.paragraph_keys.items() if rarest in key}
    values = np.fromiter(dense.values(), dtype=float) if dense else np.zeros(1)
    mean, std = float(values.mean()), float(values.std()) or 1.0

    def term_hits(text: str) -> int:
        key = match_key(text)
        return sum(1 for t in terms if t in key)

    def share(text: str) -> float:
        key = match_key(text)
        return sum(w for w, alts in weighted if any(a and a in key for a in alts)) / total

    def plan_share(text: str) -> float:
        key = match_key(text)
        if not any(a and a in key for alts in specific for a in alts):
            return 0.0
        return sum(w for w, alts in in_plan if any(a and a in key for a in alts)) / plan_total

    def phrase_hits(text: str) -> int:
        key = match_key(text)
        return sum(1 for k in phrases if k in key)

    def evidence(key: tuple[str, int]) -> bool:
        z = (dense.get(key, mean) - mean) / std
        text = doc[key[0]].paragraphs[key[1]].text
        shared = share(text)
        return (
            z >= MIN_Z
            or shared >= MIN_SHARE
            or (shared > 0 and z >= WEAK_Z)
            or (plan_share(text) >= MIN_SHARE and z >= PLAN_WORDS_Z)
        )

    def _z(key: tuple[str, int]) -> float:
        return (dense.get(key, mean) - mean) / std

    def score(key: tuple[str, int]) -> float:
        text = doc[key[0]].paragraphs[key[1]].text
        return (
            _z(key) * 0.3  # meaning, as standard deviations above the mean (any embedder's scale)
            + 0.2 * len(_bigrams(match_key(text)) & qgrams)
            + 0.5 * term_hits(text)
            + 1.0 * phrase_hits(text)
            + 0.5 / (1 + hit_rank.get(key[0], 5))
        )

    ranked = sorted(candidates, key=score, reverse=True)
    chosen: list[tuple[str, int]] = []
    for key in ranked:
        if not evidence(key) or any(k[0] == key[0] for k in chosen):
            continue
        chosen.append(key)
        if len(chosen) == lines:
            break
    if not chosen:
        return None
    quotes: list[Sentence] = []
    out: list[str] = []
    for loc_id, i in chosen:
        loc = doc[loc_id]
        sentences = split_sentences(loc.paragraphs[i].text)
        lead = sentences[0]
        rest = sorted(
            sentences[1:],
            key=lambda s: (phrase_hits(s), term_hits(s), len(_bigrams(match_key(s)) & qgrams)),
            reverse=True,
        )
        picked = [lead] + [s for s in sentences[1:] if s in rest[:_SENTENCES]]  # in the plan's order
        quotes += [Sentence(loc, i, s) for s in picked]
        out.append(f"{loc.cite}：" + "".join(picked))
    lead = "规划中的相关举措："
    if not any(share(doc[k[0]].paragraphs[k[1]].text) > 0 for k in chosen):
        # found by meaning alone: none of the question's own words is in these paragraphs
        lead = "规划中没有直接对应的表述，以下是意思最接近的内容，请核对："
    text = lead + "\n" + "\n".join(f"{n}. {line}" for n, line in enumerate(out, start=1))
    return Draft("overview", False, text, cite_sentences(quotes))
