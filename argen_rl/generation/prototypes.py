"""Target AUs for an emotion when a request gives none (the CLI's default).

The AU knowledge base (``argen_rl.asi.kb``, ARGen Eq. 7) is the source of truth: its prototype
record for the emotion is used whenever the module is installed. ``EMFACS_PROTOTYPES`` is only
the fallback for a checkout without the ASI package: the EMFACS prototype AU sets (Friesen &
Ekman 1983, as summarised in FACS investigators' guides), one per emotion, with the variants
collapsed to the AUs our warp can draw.
"""
from __future__ import annotations

from argen_rl.types import Emotion

EMFACS_PROTOTYPES: dict[Emotion, tuple[int, ...]] = {
    Emotion.HAPPY: (6, 12, 25),
    Emotion.SAD: (1, 4, 15),
    Emotion.ANGRY: (4, 5, 7, 23),          # EMFACS: 4+5+7+23 or 4+5+7+24
    Emotion.SURPRISE: (1, 2, 5, 26),
    Emotion.DISGUST: (9, 10, 15, 16),      # EMFACS: 9+15+16 or 10+15+16/17
    Emotion.FEAR: (1, 2, 4, 5, 7, 20, 26),
    Emotion.NEUTRAL: (),
}


def prototype_aus(emotion: Emotion | str) -> tuple[list[int], str]:
    """(AU list, source) for ``emotion``: the knowledge base's prototype, else the fallback table."""
    e = Emotion.parse(emotion)
    try:
        from argen_rl.asi.kb import load_kb
    except ImportError:
        kb = None
    else:
        kb = load_kb()
    if kb is not None:
        return kb.emotion_aus(e), "asi-kb"
    if e not in EMFACS_PROTOTYPES:
        raise ValueError(f"no prototype AUs for {e}")
    return list(EMFACS_PROTOTYPES[e]), "emfacs-fallback"


def parse_aus(text: str, default: float) -> dict[int, float]:
    """'1:3,2:3.5,26:4' -> {1: 3.0, 2: 3.5, 26: 4.0}; an AU without ':' gets ``default``."""
    out: dict[int, float] = {}
    for item in text.replace(" ", ",").split(","):
        item = item.strip().upper().removeprefix("AU")
        if not item:
            continue
        au, _, val = item.partition(":")
        try:
            out[int(au)] = float(val) if val else float(default)
        except ValueError:
            raise ValueError(f"cannot read AU spec {item!r}; expected e.g. '1:3,2:3,26:4'") from None
    return out
