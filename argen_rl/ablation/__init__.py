"""Reward ablations on Ray Tune: one trial per reward configuration (ARGen's T / T+F / T+Q /
T+F+Q / +E / +N rows) plus a random policy and a fixed action, all scored on held-out contexts by
the same fixed judge (argen_rl.metrics.fixed_judge), which no row trains on. ``run_ablation(cfg) -> AblationResult``."""
