"""AU knowledge base (ARGen Eq. 7) and intensity-aware descriptions (ARGen Eq. 8-9).

The data live in ``argen_rl/asi/data/au_kb.yaml`` (records of AU combination, emotion and
description template from the FACS / EMFACS prototypes, per-AU names, descriptions and the
phrases the compliance filter recognises, with sources). This module only reads and validates
that file and renders descriptions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

from argen_rl.asi.intensity import LETTERS, letter_to_value, sample_intensities, value_to_letter
from argen_rl.types import Emotion

KB_PATH = Path(__file__).parent / "data" / "au_kb.yaml"
_SLOT = re.compile(r"\{AU(\d+)\}")
_TAG = re.compile(r"\(AU\d+(?:\s*,\s*AU\d+)*\)")


@dataclass(frozen=True)
class AUInfo:
    au: int
    name: str
    muscle: str
    description: str           # with an {adverb} slot
    phrases: tuple[str, ...]   # regular expressions (case-insensitive)
    sources: tuple[str, ...]


@dataclass(frozen=True)
class KBRecord:
    """One knowledge-base record r = (A, e, d) of ARGen Eq. 7."""

    record_id: str
    emotion: Emotion
    aus: tuple[int, ...]
    template: str              # {AU<n>} adverb slots, (AU<n>) tags
    letters: dict[int, str] = field(default_factory=dict)
    prototype: bool = False
    sources: tuple[str, ...] = ()

    def neutral_text(self) -> str:
        """The template with canonical 'C' adverbs and no AU tags (what the retriever embeds)."""
        return strip_au_tags(self.template.replace("{", "").replace("}", ""))


@dataclass(frozen=True)
class Region:
    """A face region (brows, upper eyelids, ..., mouth opening): a prompt states one movement
    per region. ``combinations`` maps a set of the region's AUs to FACS's one description of
    them together (one ``{adverb}`` slot)."""

    name: str
    aus: tuple[int, ...]
    combinations: dict[frozenset[int], str] = field(default_factory=dict)


@dataclass(frozen=True)
class Movement:
    """One region's movement in a prompt: the AUs it describes, their adverb's intensity, the text."""

    region: str
    aus: tuple[int, ...]
    intensity: float
    text: str


@dataclass(frozen=True)
class Candidate:
    """A retrieved record with sampled intensities and its intensity-aware description d_k (Eq. 8-9)."""

    record_id: str
    emotion: Emotion
    aus: tuple[int, ...]
    intensities: dict[int, float]
    description: str           # adverbs filled in, AU tags kept
    score: float = 0.0         # retrieval similarity


def strip_au_tags(text: str) -> str:
    """Remove '(AU12)' / '(AU1, AU2)' tags and tidy the whitespace they leave."""
    text = _TAG.sub("", text)
    text = re.sub(r"\bAU\s?\d+\b", "", text)
    text = re.sub(r"\s+([,.;:])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


class AUKnowledgeBase:
    """Records, AU vocabulary and intensity adverbs read from the knowledge-base YAML."""

    def __init__(self, records: list[KBRecord], aus: dict[int, AUInfo], adverbs: dict[str, tuple[str, ...]],
                 allowed_extra: dict[Emotion, set[int]], sources: dict[str, str], regions: list[Region] | None = None):
        self.records = records
        self.regions = list(regions or [])
        self.aus = aus
        self.adverbs = adverbs
        self.sources = sources
        self._allowed_extra = allowed_extra
        self.au_centres: dict[Emotion, dict[int, float]] = {}
        """Optional per-emotion AU intensity centres measured on the dataset's scarce clips."""

    # ---- contract API -------------------------------------------------------------------
    def emotion_aus(self, emotion: Emotion | str) -> list[int]:
        """The emotion's prototype AU set (sorted); empty for neutral."""
        e = Emotion.parse(emotion)
        for r in self.records:
            if r.emotion is e and r.prototype:
                return sorted(r.aus)
        return []

    def allowed_aus(self, emotion: Emotion | str) -> set[int]:
        """AUs a prompt for ``emotion`` may assert: union of its records plus the listed extras."""
        e = Emotion.parse(emotion)
        out = set(self._allowed_extra.get(e, set()))
        for r in self.records_for(e):
            out.update(r.aus)
        return out

    def au_description(self, au: int, adverb: str | None = None) -> str:
        """Natural-language description of one AU; ``adverb`` fills its intensity slot."""
        info = self.info(au)
        text = info.description.replace("{adverb}", adverb if adverb else "")
        return re.sub(r"\s{2,}", " ", text).strip()

    def movements(self, intensities: dict[int, float], rng: np.random.Generator | None = None) -> list[Movement]:
        """One movement per face region for a prompt's AU intensities, regions top to bottom.

        A region with one AU gets that AU's description; with several, FACS's description of
        the combination when the knowledge base has it, else the strongest AU's alone (ties:
        the lower AU number). Either way ONE intensity adverb: the strongest AU's (ARGen Eq. 9).
        AUs of no region, and AUs below 0.5 (absent on the letter scale), are not described. A
        seeded ``rng`` varies the adverb among the letter's synonyms."""
        present = {int(a): float(v) for a, v in intensities.items() if value_to_letter(float(v))}
        out = []
        for region in self.regions:
            aus = sorted(a for a in region.aus if a in present)
            if not aus:
                continue
            strongest = min(aus, key=lambda a: (-present[a], a))
            combo = region.combinations.get(frozenset(aus)) if len(aus) > 1 else None
            adverb = self.adverb(present[strongest], rng)
            if combo is not None:
                text, described = combo.replace("{adverb}", adverb), tuple(aus)
            else:
                text, described = self.au_description(strongest, adverb), (strongest,)
            out.append(Movement(region.name, described, present[strongest], text))
        return out

    # ---- helpers ------------------------------------------------------------------------
    def info(self, au: int) -> AUInfo:
        if int(au) not in self.aus:
            raise KeyError(f"AU{au} is not in the knowledge base (known: {sorted(self.aus)})")
        return self.aus[int(au)]

    def records_for(self, emotion: Emotion | str) -> list[KBRecord]:
        e = Emotion.parse(emotion)
        return [r for r in self.records if r.emotion is e]

    def record(self, record_id: str) -> KBRecord:
        for r in self.records:
            if r.record_id == record_id:
                return r
        raise KeyError(f"no knowledge-base record {record_id!r}")

    def adverb(self, value: float, rng: np.random.Generator | None = None) -> str:
        """Intensity adverb for a numeric 0..5 value (ARGen Eq. 9); a seeded ``rng`` varies synonyms."""
        letter = value_to_letter(value) or "A"
        choices = self.adverbs[letter]
        return choices[int(rng.integers(len(choices)))] if rng is not None else choices[0]

    def render(self, record: KBRecord, intensities: dict[int, float], rng: np.random.Generator | None = None) -> str:
        """Fill a record's {AU<n>} slots with adverbs for the given intensities (ARGen Eq. 8)."""
        def fill(m: re.Match) -> str:
            au = int(m.group(1))
            if au not in intensities:
                raise KeyError(f"record {record.record_id}: no intensity for AU{au}")
            return self.adverb(intensities[au], rng)
        return _SLOT.sub(fill, record.template)

    def sample_intensities(self, records: list[KBRecord], rng: np.random.Generator, low: float = 1.0,
                           high: float = 3.5) -> dict[int, float]:
        """One intensity vector (ARGen Eq. 8) over the union of the records' AUs: a prompt states
        each AU at one intensity however many candidates mention it. Source letters (e.g. 5B) are
        honoured (first record wins); measured dataset centres are used where present."""
        aus: list[int] = []
        letters: dict[int, str] = {}
        for r in records:
            aus += [a for a in r.aus if a not in aus]
            for a, letter in r.letters.items():
                letters.setdefault(a, letter)
        emotions = {r.emotion for r in records}
        centres = self.au_centres.get(next(iter(emotions))) if len(emotions) == 1 else None
        return sample_intensities(sorted(aus), rng, low=low, high=high, fixed_letters=letters, centres=centres)

    def candidate(self, record: KBRecord, intensities: dict[int, float], rng: np.random.Generator | None = None,
                  score: float = 0.0) -> Candidate:
        """A record rendered with the given intensities (its own AUs only)."""
        inten = {a: intensities[a] for a in record.aus}
        return Candidate(record.record_id, record.emotion, record.aus, inten, self.render(record, inten, rng), score)


def _parse_kb(data: dict, source: str) -> AUKnowledgeBase:
    try:
        adverbs = {k: tuple(v["adverbs"]) for k, v in data["intensity"].items()}
        if set(adverbs) != set(LETTERS):
            raise ValueError(f"intensity letters must be exactly {LETTERS}, got {sorted(adverbs)}")
        for k, v in data["intensity"].items():
            if float(v["value"]) != letter_to_value(k):
                raise ValueError(f"intensity {k}: value {v['value']} != {letter_to_value(k)}")
        aus = {
            int(n): AUInfo(int(n), a["name"], a.get("muscle", ""), a["description"], tuple(a.get("phrases", ())),
                           tuple(a.get("sources", ())))
            for n, a in data["action_units"].items()
        }
        sources = dict(data.get("sources", {}))
        allowed_extra = {Emotion.parse(e): {int(x) for x in v.get("allowed_extra", [])}
                         for e, v in data.get("emotions", {}).items()}
        records = []
        for raw in data["records"]:
            rid = raw["id"]
            r = KBRecord(
                record_id=rid, emotion=Emotion.parse(raw["emotion"]), aus=tuple(int(x) for x in raw["aus"]),
                template=raw["template"], letters={int(k): str(v) for k, v in (raw.get("letters") or {}).items()},
                prototype=bool(raw.get("prototype", False)), sources=tuple(raw.get("sources", ())),
            )
            unknown = [a for a in r.aus if a not in aus]
            slots = {int(x) for x in _SLOT.findall(r.template)}
            if unknown:
                raise ValueError(f"record {rid}: AUs {unknown} have no action_units entry")
            if slots != set(r.aus):
                raise ValueError(f"record {rid}: template slots {sorted(slots)} != aus {sorted(r.aus)}")
            bad_src = [s for s in r.sources if s not in sources]
            if bad_src:
                raise ValueError(f"record {rid}: unknown sources {bad_src}")
            records.append(r)
        regions = _parse_regions(data.get("regions", []), aus)
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{source}: invalid AU knowledge base: {err!r}") from None
    ids = [r.record_id for r in records]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{source}: duplicate record ids")
    return AUKnowledgeBase(records, aus, adverbs, allowed_extra, sources, regions)


def _parse_regions(raw: list, aus: dict[int, AUInfo]) -> list[Region]:
    """Regions: every AU of the knowledge base in exactly one; combination keys like "1+4" are
    sets of 2+ AUs of their region with one {adverb} slot."""
    regions, seen = [], {}
    for r in raw:
        name, members = str(r["name"]), tuple(int(a) for a in r["aus"])
        for a in members:
            if a not in aus:
                raise ValueError(f"region {name}: AU{a} has no action_units entry")
            if a in seen:
                raise ValueError(f"AU{a} is in two regions ({seen[a]}, {name})")
            seen[a] = name
        combos = {}
        for key, text in (r.get("combinations") or {}).items():
            combo = frozenset(int(x) for x in str(key).split("+"))
            if len(combo) < 2 or not combo <= set(members):
                raise ValueError(f"region {name}: combination {key} must be 2+ of its AUs {list(members)}")
            if str(text).count("{adverb}") != 1:
                raise ValueError(f"region {name}: combination {key} needs exactly one {{adverb}} slot")
            combos[combo] = str(text)
        regions.append(Region(name, members, combos))
    missing = sorted(set(aus) - set(seen))
    if raw and missing:
        raise ValueError(f"AUs {missing} are in no region")
    return regions


@lru_cache(maxsize=4)
def _load_cached(path: str) -> AUKnowledgeBase:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"AU knowledge base not found: {p}")
    return _parse_kb(yaml.safe_load(p.read_text()), str(p))


def load_kb(path: str | Path | None = None) -> AUKnowledgeBase:
    """Read the knowledge base (default: the file shipped in the package).

    Returns a fresh object each call (the parsed file is cached), so enriching one instance with
    dataset statistics never leaks into another.
    """
    kb = _load_cached(str(Path(path) if path else KB_PATH))
    return AUKnowledgeBase(list(kb.records), dict(kb.aus), dict(kb.adverbs), dict(kb._allowed_extra),
                           dict(kb.sources), list(kb.regions))
