"""`argen train run` / experiments/train_policy.py: config errors are clear and name the key."""
from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from argen_rl.cli import app
from argen_rl.config import ConfigError, load_config
from argen_rl.train.config import TrainConfig


def test_shipped_configs_validate():
    for name in ("train_warp_cpu.yaml", "train_ti2v_gpu.yaml"):
        cfg = load_config(f"experiments/configs/{name}", TrainConfig)
        assert cfg.ppo.train_batch_size == 32 and cfg.env.pool_size == 4     # paper defaults
        assert cfg.env.reward.S_max == max(cfg.env.actions.steps)            # Eq. 14 budget


def test_misspelt_key_is_named(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"env": {"contexts": "x.jsonl", "pool_sise": 4}, "iterations": 2}))
    with pytest.raises(ConfigError, match=r"env\.pool_sise: unknown key"):
        load_config(bad, TrainConfig)


def test_cli_reports_config_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"env": {"contexts": "x.jsonl"}, "ppo": {"lr": "fast"}}))
    result = CliRunner().invoke(app, ["train", "run", "--config", str(bad)])
    assert result.exit_code == 2
    assert "ppo.lr" in result.output and "Traceback" not in result.output
