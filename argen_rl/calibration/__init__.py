"""SynFER-style label calibration of generated clips: experts vote, the ensemble's mean probability
decides, disputed clips are rejected (or relabelled).
``LabelCalibrator(make_experts(cfg), cfg).judge(frames, label) -> Verdict``; ``build_calibrator``
adds a trained recognizer; ``argen calibrate`` runs it on files."""
from argen_rl.calibration.calibrator import (CalibrationConfig, LabelCalibrator, Verdict, build_calibrator,
                                             make_experts)
from argen_rl.calibration.experts import UnjudgeableClip

__all__ = ["CalibrationConfig", "LabelCalibrator", "Verdict", "build_calibrator", "make_experts", "UnjudgeableClip"]
