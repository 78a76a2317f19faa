"""SynFER-style label calibration of generated clips (SynFER §4.4, "ensemble of experts vote").

Every expert gives a 7-class probability vector for the clip. An expert *agrees* with the
assigned label when the label is its top-1 class or its probability is at least ``min_prob``.
The clip is accepted when at least ``min_agree`` experts agree. Otherwise it is rejected, or,
with ``mode="relabel"``, relabelled to the argmax of the experts' averaged probabilities
(SynFER replaces a disputed label by the ensemble average) — unless that argmax is the label
itself or neutral (a clip that did not move is never a useful expression sample).
A clip an expert cannot judge at all (``UnjudgeableClip``: no face) is rejected, never relabelled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
from pydantic import Field

from argen_rl.calibration.experts import LabelExpert, UnjudgeableClip
from argen_rl.config import StrictModel
from argen_rl.types import EMOTIONS7, Emotion


class CalibrationConfig(StrictModel):
    experts: list[Literal["fer", "au", "recognizer"]] = ["fer", "au"]
    """Experts that vote; "recognizer" needs a trained recognizer checkpoint."""
    min_prob: float = Field(0.25, ge=0.0, le=1.0)
    """An expert also agrees when its probability for the label is at least this."""
    min_agree: int = Field(1, ge=1)
    """Experts that must agree for the clip to be kept."""
    mode: Literal["reject", "relabel"] = "reject"
    """What happens to a disputed clip."""
    n_peak: int = Field(4, ge=1)
    """Frames (most changed from the neutral first frame) the experts look at."""


@dataclass
class Verdict:
    label: Emotion                       # the assigned (target) label
    accepted: bool
    final_label: Emotion | None          # None when dropped
    votes: dict[str, bool]
    probs: dict[str, list[float]]        # expert -> 7 probabilities (EMOTIONS7 order)
    mean_probs: list[float] = field(default_factory=list)
    reason: str = ""                     # why it was rejected / relabelled ("" when accepted)

    @property
    def relabelled(self) -> bool:
        return self.final_label is not None and self.final_label is not self.label

    def to_json(self) -> dict:
        return {
            "label": self.label.value, "accepted": self.accepted,
            "final_label": self.final_label.value if self.final_label else None,
            "votes": self.votes, "probs": self.probs, "mean_probs": self.mean_probs,
            "reason": self.reason,
        }


class LabelCalibrator:
    def __init__(self, experts: Sequence[LabelExpert], cfg: CalibrationConfig | None = None) -> None:
        self.cfg = cfg or CalibrationConfig()
        if not experts:
            raise ValueError("label calibration needs at least one expert")
        if self.cfg.min_agree > len(experts):
            raise ValueError(f"min_agree={self.cfg.min_agree} > number of experts ({len(experts)})")
        self.experts = list(experts)

    def judge(self, frames: np.ndarray, label: Emotion | str) -> Verdict:
        """The experts' verdict on one clip (uint8 TxHxWx3, frame 0 = neutral start) labelled ``label``."""
        label = Emotion.parse(label)
        if label not in EMOTIONS7:
            raise ValueError(f"label calibration covers the 7 classes {[e.value for e in EMOTIONS7]}, "
                             f"not {label.value!r}")
        frames = np.asarray(frames)
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) < 2:
            raise ValueError(f"a clip is uint8 TxHxWx3 with T >= 2, got {frames.dtype} {frames.shape}")
        probs, votes = {}, {}
        for ex in self.experts:
            try:
                p = np.asarray(ex.predict(frames), dtype=np.float64)
            except UnjudgeableClip as err:
                return Verdict(label, False, None, {e.name: False for e in self.experts},
                               {k: [round(float(x), 4) for x in v] for k, v in probs.items()},
                               reason=str(err))
            if p.shape != (len(EMOTIONS7),) or not np.all(np.isfinite(p)):
                raise ValueError(f"expert {ex.name!r} returned {p!r}, expected 7 finite probabilities")
            probs[ex.name] = p
            votes[ex.name] = bool(int(np.argmax(p)) == label.index or p[label.index] >= self.cfg.min_prob)
        mean = np.mean(list(probs.values()), axis=0)
        n_agree = sum(votes.values())
        accepted = n_agree >= self.cfg.min_agree
        final: Emotion | None = label if accepted else None
        reason = "" if accepted else f"{n_agree} of {len(votes)} experts agree (need {self.cfg.min_agree})"
        if not accepted and self.cfg.mode == "relabel":
            top = EMOTIONS7[int(np.argmax(mean))]
            if top not in (label, Emotion.NEUTRAL):
                final = top
                reason += f"; relabelled to {top.value} (ensemble argmax)"
        return Verdict(label, accepted, final, votes,
                       {k: [round(float(x), 4) for x in v] for k, v in probs.items()},
                       [round(float(x), 4) for x in mean], reason)


def make_experts(cfg: CalibrationConfig, recognizer=None) -> list[LabelExpert]:
    """Build the configured experts (the recognizer only when one is given: any object with
    ``predict_proba(clips (N,T,H,W,3) uint8) -> (N, 7)``, e.g.
    ``argen_rl.calibration.recognizer.load_recognizer(checkpoint)``)."""
    from argen_rl.calibration.experts import AUExpert, FERExpert, RecognizerExpert

    out: list[LabelExpert] = []
    for name in cfg.experts:
        if name == "fer":
            out.append(FERExpert(n_peak=cfg.n_peak))
        elif name == "au":
            out.append(AUExpert(n_peak=cfg.n_peak))
        elif name == "recognizer":
            if recognizer is None:
                raise ValueError("calibration expert 'recognizer' is configured but no trained "
                                 "recognizer was given (train one with `argen recognize`)")
            out.append(RecognizerExpert(recognizer))
    return out
