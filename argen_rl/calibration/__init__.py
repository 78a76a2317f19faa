"""SynFER-style label calibration of generated clips: experts vote, disputed clips are rejected
(or relabelled). ``LabelCalibrator(make_experts(cfg), cfg).judge(frames, label) -> Verdict``."""
from argen_rl.calibration.calibrator import CalibrationConfig, LabelCalibrator, Verdict, make_experts
from argen_rl.calibration.experts import UnjudgeableClip

__all__ = ["CalibrationConfig", "LabelCalibrator", "Verdict", "make_experts", "UnjudgeableClip"]
