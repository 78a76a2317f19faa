"""AU compliance filter (ARGen supp. G): keep only statements whose AUs the target emotion allows.

A prompt *asserts* an AU when it names it ("AU12", "AU 26") or describes it in words
("raised inner brows", "lip corner puller", "jaw drop", "nose wrinkle", ...; the phrases are
regular expressions stored per AU in the knowledge-base file). A description preceded closely by
a negation ("without a smile", "no frown") asserts nothing.

The filter splits the prompt into statements (sentences, then comma/semicolon clauses outside
parentheses), drops every statement that asserts an AU outside ``kb.allowed_aus(emotion)``, then
strips the AU tags so the generator gets plain language (main text §3.2: "removed the AU tags").

Hallucination rate = disallowed asserted AUs / all asserted AUs, counting each AU once per
statement (before: per clause of the writer's raw text; after: per sentence of the filtered
prompt, since a clause without its tag may have lost its subject).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from argen_rl.asi.kb import AUKnowledgeBase, strip_au_tags
from argen_rl.types import Emotion

_AU_NUM = re.compile(r"\bAU\s?[-_]?\s?(\d{1,2})\b", re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:no|not|without|never|nor|absent|lacks?|lacking|free of|n't)\b[^.,;]{0,24}$", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE = re.compile(r"([;,])(?![^()]*\))")
_GENERIC_BROW = ("(?<!inner )(?<!outer )(?<!inner ends of the )(?<!outer ends of the )"
                 "(?<!inner corners of the )(?<!outer corners of the )")


@dataclass
class ComplianceReport:
    """What the filter saw in one prompt (per-statement AU sets, before and after)."""

    emotion: Emotion
    asserted_before: list[int] = field(default_factory=list)
    disallowed_before: list[int] = field(default_factory=list)
    asserted_after: list[int] = field(default_factory=list)
    disallowed_after: list[int] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)

    @property
    def rate_before(self) -> float:
        return len(self.disallowed_before) / len(self.asserted_before) if self.asserted_before else 0.0

    @property
    def rate_after(self) -> float:
        return len(self.disallowed_after) / len(self.asserted_after) if self.asserted_after else 0.0


def hallucination_rates(reports: list[ComplianceReport]) -> dict[str, float | int]:
    """Pooled rates over many prompts (counts of AU assertions, not means of per-prompt rates)."""
    ab = sum(len(r.asserted_before) for r in reports)
    db = sum(len(r.disallowed_before) for r in reports)
    aa = sum(len(r.asserted_after) for r in reports)
    da = sum(len(r.disallowed_after) for r in reports)
    return {
        "asserted_before": ab, "disallowed_before": db, "rate_before": round(db / ab, 4) if ab else 0.0,
        "asserted_after": aa, "disallowed_after": da, "rate_after": round(da / aa, 4) if aa else 0.0,
        "statements_dropped": sum(len(r.dropped) for r in reports),
    }


class ComplianceFilter:
    """Parses asserted AUs and removes non-compliant statements, using the knowledge base's phrases."""

    def __init__(self, kb: AUKnowledgeBase):
        self.kb = kb
        self._patterns: list[tuple[int, re.Pattern]] = []
        for au, info in sorted(kb.aus.items()):
            for ph in info.phrases:
                # a bare "brows raised" phrase must not fire where "inner"/"outer" already decided
                pat = (_GENERIC_BROW + ph) if ph.startswith("(?:eye)?brows?") else ph
                self._patterns.append((au, re.compile(r"\b" + pat, re.IGNORECASE)))

    def asserted(self, text: str) -> set[int]:
        """AU numbers a piece of text asserts (by number or by description, negations excluded)."""
        found = {int(m.group(1)) for m in _AU_NUM.finditer(text) if not _negated(text, m.start())}
        for au, pat in self._patterns:
            if any(not _negated(text, m.start()) for m in pat.finditer(text)):
                found.add(au)
        return found

    def statements(self, text: str) -> list[list[tuple[str, str]]]:
        """Sentences, each a list of (separator before, clause); clauses split on , and ; outside
        parentheses."""
        out = []
        for sent in _SENTENCE.split(text.strip()):
            parts = _CLAUSE.split(sent)
            clauses, sep = [], ""
            for k, part in enumerate(parts):
                if k % 2:
                    sep = part
                elif part.strip():
                    clauses.append((sep, part.strip()))
            if clauses:
                out.append(clauses)
        return out

    def filter(self, text: str, emotion: Emotion | str) -> tuple[str, ComplianceReport]:
        """Drop statements asserting disallowed AUs; return (clean prompt without AU tags, report)."""
        e = Emotion.parse(emotion)
        allowed = self.kb.allowed_aus(e)
        rep = ComplianceReport(e)
        kept_sentences = []
        for clauses in self.statements(text):
            kept = []
            for sep, c in clauses:
                aus = sorted(self.asserted(c))
                bad = [a for a in aus if a not in allowed]
                rep.asserted_before += aus
                rep.disallowed_before += bad
                if bad:
                    rep.dropped.append(c)
                else:
                    kept.append((sep, c))
            if kept:
                kept_sentences.append(_join_clauses(kept))
        clean = strip_au_tags(" ".join(kept_sentences))
        # after: whole sentences (tags are gone, so a clause alone may lack its subject)
        for clauses in self.statements(clean):
            aus = sorted(self.asserted("; ".join(c for _sep, c in clauses)))   # no phrase across clauses
            rep.asserted_after += aus
            rep.disallowed_after += [a for a in aus if a not in allowed]
        return clean, rep


def _negated(text: str, start: int) -> bool:
    return bool(_NEGATION.search(text[max(0, start - 40):start]))


def _join_clauses(clauses: list[tuple[str, str]]) -> str:
    first = re.sub(r"^(?:and|but|while|with|yet)\s+", "", clauses[0][1], flags=re.IGNORECASE)
    s = first + "".join(f"{sep} {c}" for sep, c in clauses[1:])
    s = re.sub(r"\s+(?:and|but|while|with|yet)\s*([.!?]?)$", r"\1", s.strip(), flags=re.IGNORECASE)
    if s and s[-1] not in ".!?":
        s += "."
    return s[0].upper() + s[1:] if s else s
