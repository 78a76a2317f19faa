"""SynFER-style label calibration of generated clips (SynFER §3 / §4.4: an ensemble of experts
votes on each synthesised sample's assigned label; where they disagree, the label is replaced by
the ensemble's averaged prediction).

Every expert gives a 7-class probability vector for the clip (``calibration.experts``). Experts
that cannot read the clip (``UnjudgeableClip``: no face where they need one) are left out and
named in ``Verdict.unreadable``; a clip that NO expert can read is rejected.

``rule: mean`` (default; SynFER): p = the mean of the readable experts' probabilities, leaving
out the experts that abstain on the clip's label (``abstain``: a class the expert cannot
recognise, e.g. FER2013's net and disgust; ``Verdict.abstained``). A clip whose label every
readable expert abstains on is rejected.

- keep the label when it is p's top class and p[label] >= ``min_mean_prob``;
- otherwise, with ``mode: relabel``, relabel to p's top class when that class is confident
  (p[top] >= ``min_mean_prob``) and is neither the label nor neutral (a clip that did not move
  is never a useful expression sample); else reject. ``mode: reject`` drops the clip.

``votes`` records, per expert, whether the label is that expert's top class (for reading the
verdict; the decision is the mean's).

``rule: any_agree`` is the rule used before issue 12 (an expert agrees when the label is its
top-1 class or its probability >= ``min_prob``; keep when >= ``min_agree`` experts agree; any
unreadable expert rejects the clip). It is kept for before / after benchmarks; docs/augmentation.md
gives the measurement that replaced it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
from pydantic import Field

from argen_rl.calibration.experts import BLIND_SPOTS, LabelExpert, UnjudgeableClip
from argen_rl.config import StrictModel
from argen_rl.types import EMOTIONS7, Emotion



class CalibrationConfig(StrictModel):
    experts: list[Literal["fer", "au", "recognizer", "au_geometric"]] = ["fer", "au"]
    """Experts that vote: fer (FER2013 net), au (EMFACS on the pls AU reader), recognizer (a
    recognizer trained on the original dataset; needs a checkpoint), au_geometric (the pre-issue-12
    AU expert, circular on warp clips: benchmarks only)."""
    rule: Literal["mean", "any_agree"] = "mean"
    """mean: the ensemble's mean probability decides (SynFER); any_agree: the old rule."""
    min_mean_prob: float = Field(0.5, ge=0.0, le=1.0)
    """rule mean: the label is kept when it is the mean's top class with at least this
    probability (a relabel needs the same confidence). 0.5 = the experts' mean puts at least half
    its mass on one class; measured on the tuning data in docs/augmentation.md."""
    min_prob: float = Field(0.25, ge=0.0, le=1.0)
    """rule any_agree only: an expert also agrees when its probability for the label is at least this."""
    min_agree: int = Field(1, ge=1)
    """rule any_agree only: experts that must agree for the clip to be kept."""
    mode: Literal["reject", "relabel"] = "reject"
    """What happens to a disputed clip."""
    abstain: dict[Literal["fer", "au", "recognizer", "au_geometric"], list[Emotion]] = Field(
        default_factory=lambda: {k: list(v) for k, v in BLIND_SPOTS.items()})
    """rule mean: expert -> labels it does not vote on, because it cannot recognise them on real
    faces (its near-zero probability would veto the class). Default: FER2013's net on disgust,
    measured in ``calibration.experts`` / docs/augmentation.md; {} = every expert votes on
    every label."""
    n_peak: int = Field(4, ge=1)
    """Frames (most changed from the neutral first frame) the experts look at."""


@dataclass
class Verdict:
    label: Emotion                       # the assigned (target) label
    accepted: bool
    final_label: Emotion | None          # None when dropped
    votes: dict[str, bool]               # expert -> the label is its top class (False: unreadable)
    probs: dict[str, list[float]]        # readable expert -> 7 probabilities (EMOTIONS7 order)
    mean_probs: list[float] = field(default_factory=list)
    reason: str = ""                     # why it was rejected / relabelled ("" when accepted)
    unreadable: dict[str, str] = field(default_factory=dict)   # expert -> why it could not read
    abstained: list[str] = field(default_factory=list)         # experts that do not vote on this label

    @property
    def relabelled(self) -> bool:
        return self.final_label is not None and self.final_label is not self.label

    def to_json(self) -> dict:
        return {
            "label": self.label.value, "accepted": self.accepted,
            "final_label": self.final_label.value if self.final_label else None,
            "votes": self.votes, "probs": self.probs, "mean_probs": self.mean_probs,
            "reason": self.reason, "unreadable": self.unreadable, "abstained": self.abstained,
        }


def _round(p) -> list[float]:
    return [round(float(x), 4) for x in p]


class LabelCalibrator:
    def __init__(self, experts: Sequence[LabelExpert], cfg: CalibrationConfig | None = None) -> None:
        self.cfg = cfg or CalibrationConfig()
        if not experts:
            raise ValueError("label calibration needs at least one expert")
        if self.cfg.rule == "any_agree" and self.cfg.min_agree > len(experts):
            raise ValueError(f"min_agree={self.cfg.min_agree} > number of experts ({len(experts)})")
        self.experts = list(experts)

    def read(self, frames: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        """Each expert's 7 probabilities for one clip, and the experts that could not read it."""
        probs, unreadable = {}, {}
        for ex in self.experts:
            try:
                p = np.asarray(ex.predict(frames), dtype=np.float64)
            except UnjudgeableClip as err:
                unreadable[ex.name] = str(err)
                continue
            if p.shape != (len(EMOTIONS7),) or not np.all(np.isfinite(p)):
                raise ValueError(f"expert {ex.name!r} returned {p!r}, expected 7 finite probabilities")
            probs[ex.name] = p
        return probs, unreadable

    def judge(self, frames: np.ndarray, label: Emotion | str) -> Verdict:
        """The experts' verdict on one clip (uint8 TxHxWx3, frame 0 = neutral start) labelled ``label``."""
        label = Emotion.parse(label)
        if label not in EMOTIONS7:
            raise ValueError(f"label calibration covers the 7 classes {[e.value for e in EMOTIONS7]}, "
                             f"not {label.value!r}")
        frames = np.asarray(frames)
        if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) < 2:
            raise ValueError(f"a clip is uint8 TxHxWx3 with T >= 2, got {frames.dtype} {frames.shape}")
        probs, unreadable = self.read(frames)
        votes = {ex.name: bool(ex.name in probs and int(np.argmax(probs[ex.name])) == label.index)
                 for ex in self.experts}
        shown = {k: _round(v) for k, v in probs.items()}
        if not probs or (self.cfg.rule == "any_agree" and unreadable):
            why = "; ".join(unreadable.values())
            return Verdict(label, False, None, votes, shown, [], f"no expert can read the clip: {why}"
                           if not probs else why, unreadable)
        if self.cfg.rule == "any_agree":
            return self._any_agree(label, probs, np.mean(list(probs.values()), axis=0), shown, unreadable)
        abstained = [ex.name for ex in self.experts if ex.name in probs and label in ex.abstains]
        voters = [p for name, p in probs.items() if name not in abstained]
        if not voters:
            return Verdict(label, False, None, votes, shown, [], f"every expert that can read the clip "
                           f"abstains on {label.value} ({', '.join(abstained)})", unreadable, abstained)
        mean = np.mean(voters, axis=0)
        top = EMOTIONS7[int(np.argmax(mean))]
        if top is label and mean[label.index] >= self.cfg.min_mean_prob:
            return Verdict(label, True, label, votes, shown, _round(mean), "", unreadable, abstained)
        reason = (f"ensemble mean p({label.value}) = {mean[label.index]:.2f}, top {top.value} "
                  f"{mean[top.index]:.2f} (keep needs {label.value} on top with >= {self.cfg.min_mean_prob:g})")
        final = None
        if self.cfg.mode == "relabel" and top not in (label, Emotion.NEUTRAL) \
                and mean[top.index] >= self.cfg.min_mean_prob:
            final = top
            reason += f"; relabelled to {top.value} (ensemble argmax)"
        return Verdict(label, False, final, votes, shown, _round(mean), reason, unreadable, abstained)

    def _any_agree(self, label, probs, mean, shown, unreadable) -> Verdict:
        votes = {k: bool(int(np.argmax(p)) == label.index or p[label.index] >= self.cfg.min_prob)
                 for k, p in probs.items()}
        n_agree = sum(votes.values())
        accepted = n_agree >= self.cfg.min_agree
        final: Emotion | None = label if accepted else None
        reason = "" if accepted else f"{n_agree} of {len(votes)} experts agree (need {self.cfg.min_agree})"
        if not accepted and self.cfg.mode == "relabel":
            top = EMOTIONS7[int(np.argmax(mean))]
            if top not in (label, Emotion.NEUTRAL):
                final = top
                reason += f"; relabelled to {top.value} (ensemble argmax)"
        return Verdict(label, accepted, final, votes, shown, _round(mean), reason, unreadable)


def make_experts(cfg: CalibrationConfig, recognizer=None) -> list[LabelExpert]:
    """Build the configured experts (the recognizer only when one is given: any object with
    ``predict_proba(clips (N,T,H,W,3) uint8) -> (N, 7)``, e.g.
    ``argen_rl.calibration.recognizer.load_recognizer(checkpoint)``)."""
    from argen_rl.calibration.experts import AUExpert, FERExpert, GeometricAUExpert, RecognizerExpert

    out: list[LabelExpert] = []
    for name in cfg.experts:
        if name == "fer":
            out.append(FERExpert(n_peak=cfg.n_peak))
        elif name == "au":
            out.append(AUExpert(n_peak=cfg.n_peak))
        elif name == "au_geometric":
            out.append(GeometricAUExpert(n_peak=cfg.n_peak))
        elif name == "recognizer":
            if recognizer is None:
                raise ValueError("calibration expert 'recognizer' is configured but no trained "
                                 "recognizer was given (train one with `argen recognize`)")
            out.append(RecognizerExpert(recognizer))
    for ex in out:
        ex.abstains = frozenset(cfg.abstain.get(ex.name, ()))
    return out


def build_calibrator(cfg: CalibrationConfig, recognizer_checkpoint: str | None = None) -> LabelCalibrator:
    """The calibrator ``argen augment`` and ``argen calibrate`` use: the configured experts, plus the
    "recognizer" expert when a checkpoint (``calibration.recognizer.save_recognizer`` format) is given."""
    recognizer = None
    experts = list(cfg.experts)
    if recognizer_checkpoint:
        from argen_rl.calibration.recognizer import load_recognizer

        recognizer = load_recognizer(recognizer_checkpoint)
        if "recognizer" not in experts:
            experts.append("recognizer")
    cfg = cfg.model_copy(update={"experts": experts})
    return LabelCalibrator(make_experts(cfg, recognizer=recognizer), cfg)
