"""FACS intensity letters, the project's numeric 0..5 scale, and intensity adverbs (ARGen Eq. 8-9).

FACS scores an action unit's intensity with five letters, A (trace) .. E (maximum). The rest of
the project uses a numeric 0..5 scale (0 = absent), so A..E map to 1..5 and a numeric value maps
back to the nearest letter. Eq. 8-9 inject an adverb for each AU's intensity into its description;
the adverb table lives in the knowledge-base file (``intensity:`` section) so it can be edited
without touching code.
"""
from __future__ import annotations

import numpy as np

LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "E")
LETTER_VALUES: dict[str, int] = {letter: i + 1 for i, letter in enumerate(LETTERS)}
ABSENT_BELOW = 0.5
"""Numeric intensities below this count as absent (no letter)."""


def letter_to_value(letter: str) -> float:
    """'A'..'E' (case-insensitive) -> 1.0..5.0."""
    key = str(letter).strip().upper()
    if key not in LETTER_VALUES:
        raise ValueError(f"unknown FACS intensity letter {letter!r}; expected one of {', '.join(LETTERS)}")
    return float(LETTER_VALUES[key])


def value_to_letter(value: float) -> str | None:
    """Numeric 0..5 -> nearest letter A..E; None when below ``ABSENT_BELOW`` (AU absent)."""
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"intensity must be finite, got {value!r}")
    if v < ABSENT_BELOW:
        return None
    idx = int(np.clip(np.floor(v + 0.5), 1, 5)) - 1   # round half up: 1.5 -> B, 2.5 -> C
    return LETTERS[idx]


def sample_intensities(
    aus: list[int],
    rng: np.random.Generator,
    low: float = 1.0,
    high: float = 3.5,
    fixed_letters: dict[int, str] | None = None,
    centres: dict[int, float] | None = None,
    spread: float = 0.5,
) -> dict[int, float]:
    """Sample one intensity per AU for one retrieval candidate (ARGen Eq. 8: per-AU scalar).

    An AU whose source fixes a letter (e.g. 5B in the surprise prototype) is sampled within
    +-0.5 of that letter's value; an AU with a measured dataset centre within ``spread`` of it;
    others uniformly in [low, high]. Values are clipped to [low, 5] and rounded to 2 decimals so
    outputs are stable across platforms.
    """
    if not 0 < low <= high <= 5:
        raise ValueError(f"need 0 < low <= high <= 5, got low={low}, high={high}")
    fixed_letters = fixed_letters or {}
    centres = centres or {}
    out: dict[int, float] = {}
    for au in aus:
        if au in fixed_letters:
            c = letter_to_value(fixed_letters[au])
            v = rng.uniform(c - 0.5, c + 0.49)
        elif au in centres:
            v = rng.uniform(centres[au] - spread, centres[au] + spread)
        else:
            v = rng.uniform(low, high)
        out[int(au)] = round(float(np.clip(v, low, 5.0)), 2)
    return out
