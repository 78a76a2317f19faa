"""Augmentation writer: generated clips for the scarce classes, vetted by label calibration,
written in the source dataset's own layout under a NEW root with provenance and a manifest.
``augment(cfg) -> AugmentSummary``."""
