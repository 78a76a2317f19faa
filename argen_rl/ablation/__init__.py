"""Reward ablations on Ray Tune: one trial per reward configuration (ARGen's T / T+F / T+Q /
T+F+Q / +E rows) plus a random policy and a fixed action, all judged on held-out contexts by one
FIXED evaluation reward so the rows are comparable. ``run_ablation(cfg) -> AblationResult``."""
