"""Dataset layer: readers for DFEW / FERV39k / CK+ / plain folders, frame sampling, class
counts, the scarce-class rule (ARGen §3), DFEW folds and the synthetic sample dataset."""
from argen_rl.data.folds import dfew_folds, dfew_split
from argen_rl.data.frames import load_clip_frames, verify_clip
from argen_rl.data.index import DatasetIndex, SkippedClip
from argen_rl.data.readers import detect_kind, read_dataset
from argen_rl.data.sample import build_sample_dataset, default_sample_root
from argen_rl.data.scarce import class_counts, load_recall_report, scarce_classes, scarce_threshold

__all__ = [
    "DatasetIndex", "SkippedClip", "read_dataset", "detect_kind", "load_clip_frames", "verify_clip",
    "class_counts", "scarce_classes", "scarce_threshold", "load_recall_report", "dfew_split",
    "dfew_folds", "build_sample_dataset", "default_sample_root",
]
