"""RLlib callback: every env step's info (reward components, action, cache, timing) becomes a
namespaced metric (``reward/quality``, ``action/steps``, ``time/generate_s``, ``cache/hit_rate``)
in the iteration's results under ``env_runners``."""
from __future__ import annotations

import numbers

from ray.rllib.callbacks.callbacks import RLlibCallback

NAMESPACES = ("reward/", "expression/", "naturalness/", "action/", "time/", "cache/", "pool/", "rollout/")


class ArgenMetricsCallback(RLlibCallback):
    def on_episode_end(self, *, episode, metrics_logger=None, **kwargs) -> None:
        if metrics_logger is None:
            return
        info = episode.get_infos(-1)
        for key, value in info.items():
            if key.startswith(NAMESPACES) and isinstance(value, numbers.Number) and value == value:   # NaN: not measured
                metrics_logger.log_value(key, float(value), reduce="mean")
