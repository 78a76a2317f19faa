"""Reward ablation on Ray Tune: a two-trial grid (one trained row, the fixed-action baseline) on
the sample dataset's contexts with the real warp generator and rewards writes the table, every
row scored by the same fixed judge (not by its training reward), and a rerun restores the
finished experiment instead of training again."""
from __future__ import annotations

import csv
import os

import pytest

pytestmark = [pytest.mark.ray, pytest.mark.slow]


@pytest.fixture(scope="module")
def contexts(tmp_path_factory):
    from argen_rl.asi.sample_contexts import ensure_sample_contexts

    return ensure_sample_contexts(tmp_path_factory.mktemp("ablation") / "contexts")


def ablation_config(contexts, storage):
    from argen_rl.ablation.config import AblationConfig

    return AblationConfig.model_validate({
        "train": {
            "env": {"contexts": str(contexts), "pool_size": 2,
                    "generation": {"generator": "warp", "frames": 8, "size": 64},
                    "reward": {"k": 1, "delta": 0.1},
                    "rollout": {"num_actors": 1, "num_cpus": 0}},
            "run_dir": str(storage / "unused"), "iterations": 1, "checkpoint_every": 1, "seed": 0,
            "ppo": {"train_batch_size": 8, "minibatch_size": 8, "num_epochs": 1},
        },
        "rows": [{"name": "T+Q", "weights": {"steps": 0.2, "quality": 0.3}},
                 {"name": "fixed", "kind": "fixed"}],
        "eval_weights": {"steps": 0.2, "quality": 0.3, "face": 0.3, "expression": 0.2},
        "fixed_action": {"steps": 8, "a": 2.0, "b": 2.0},
        "storage_path": str(storage), "name": "abl_test", "max_concurrent_trials": 2,
    })


def test_two_trial_grid_writes_table_and_resumes(contexts, tmp_path):
    import ray

    from argen_rl.ablation.runner import run_ablation

    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        cfg = ablation_config(contexts, tmp_path / "tune")
        res = run_ablation(cfg, progress=False)
        assert not res.errors, res.errors
        assert not res.restored
        by = {r["row"]: r for r in res.rows}
        assert list(by) == ["T+Q", "fixed"] and all(r["status"] == "ok" for r in res.rows)
        for r in res.rows:
            # every row is scored by the same fixed judge, which no row trains on
            for k in ("judge/judge_read", "judge/judge_p_apex", "judge/judge_p_clip", "judge/judge_naturalness",
                      "judge/identity_shape", "judge/identity_colour", "judge/diversity_ssim"):
                assert k in r and r[k] == r[k], (r["row"], k)
            assert 0.0 <= r["judge/judge_read"] <= 1.0 and 0.0 <= r["judge/judge_p_apex"] <= 1.0
            # and, for reference, by the fixed evaluation reward: all four components, even
            # for T+Q which trained without r_F and r_E
            for k in ("eval/steps", "eval/quality", "eval/face", "eval/expression"):
                assert 0.0 <= r[k] <= 1.0, (r["row"], k, r[k])
            expected = (0.2 * r["eval/steps"] + 0.3 * r["eval/quality"] + 0.3 * r["eval/face"]
                        + 0.2 * r["eval/expression"])
            assert r["eval/composite"] == pytest.approx(expected, abs=1e-6)
            assert r["eval/n_contexts"] >= 1
            assert r["cache/hit_rate"] is not None and 0.0 <= r["cache/hit_rate"] <= 1.0
        assert by["fixed"]["eval/mean_steps"] == 8.0
        assert by["T+Q"]["train/iterations"] == 1
        assert by["T+Q"]["eval/mean_steps"] in (4.0, 8.0, 12.0, 16.0) or 4 <= by["T+Q"]["eval/mean_steps"] <= 16
        # the table: CSV + Markdown + bar plot
        with open(res.files["csv"], newline="") as fh:
            table = list(csv.DictReader(fh))
        assert [t["row"] for t in table] == ["T+Q", "fixed"]
        assert float(table[0]["eval reward"]) == pytest.approx(by["T+Q"]["eval/composite"], abs=1e-4)
        assert float(table[0]["judge read rate"]) == pytest.approx(by["T+Q"]["judge/judge_read"], abs=1e-3)
        assert {"judge p(target) apex", "naturalness (judge)", "identity shape (IOD)", "diversity 1-SSIM",
                "FVD", "mean steps", "cache hit rate"} <= set(table[0])
        assert table[0]["FVD"] == ""                       # no I3D weights configured: not computed
        md = res.files["markdown"].read_text()
        assert md.startswith("| row | kind | judge read rate") and "| T+Q | train |" in md
        assert "same fixed judge" in md
        assert res.files["png"].stat().st_size > 10_000
        # Tune's own results and the row's training checkpoint exist
        exp = tmp_path / "tune" / "abl_test"
        assert list(exp.glob("row_T_Q*/result.json"))
        assert (exp / "runs" / "T+Q" / "train" / "checkpoints" / "iter_000001" / "trainer_state.json").is_file()
        # rerun = resume: Tuner.restore keeps the finished trials, nothing is trained again
        again = run_ablation(cfg, progress=False)
        assert again.restored and not again.errors
        assert [r["eval/composite"] for r in again.rows] == [r["eval/composite"] for r in res.rows]
        assert [r["judge/judge_p_apex"] for r in again.rows] == [r["judge/judge_p_apex"] for r in res.rows]
        # a changed config under the same name is refused, not silently mixed in
        changed = cfg.model_copy(update={"eval_weights": {"quality": 1.0}})
        with pytest.raises(ValueError, match="different config"):
            run_ablation(changed, progress=False)
    finally:
        ray.shutdown()


def test_config_rejects_bad_rows(contexts, tmp_path):
    from argen_rl.ablation.config import AblationConfig

    base = ablation_config(contexts, tmp_path).model_dump(mode="json")
    for rows, msg in (([{"name": "x", "weights": {"beauty": 1.0}}], "unknown reward"),
                      ([{"name": "x", "weights": {"steps": 0.0}}], "positive weight"),
                      ([{"name": "x", "kind": "fixed"}, {"name": "x", "kind": "random"}], "unique")):
        with pytest.raises(ValueError, match=msg):
            AblationConfig.model_validate({**base, "rows": rows})
    with pytest.raises(ValueError, match="fixed_action.steps=5"):
        AblationConfig.model_validate({**base, "fixed_action": {"steps": 5, "a": 2.0, "b": 2.0}})
