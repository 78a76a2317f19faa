"""Every CLI subcommand answers a bad config, a missing file or a bad value with ONE line naming
the key and the file, exit code 2 -- before Ray or anything else starts -- never a traceback."""
from __future__ import annotations

import yaml
import pytest
from typer.testing import CliRunner

from argen_rl.cli import app

AUGMENT = "experiments/configs/augment_sample.yaml"
TRAIN = "experiments/configs/train_warp_cpu.yaml"


def _run(args: list[str]):
    return CliRunner().invoke(app, args)


def _assert_one_line(res, *needles: str) -> str:
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert res.exit_code == 2, (res.exit_code, res.output[-3000:], res.exception)
    assert "Traceback" not in res.output and len(lines) == 1, res.output[-3000:]
    assert lines[0].startswith("error: "), lines[0]
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def _yaml(tmp_path, base: str, name: str, **changes) -> str:
    data = yaml.safe_load(open(base))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split(".")
        for p in parents:
            node = node[p]
        if value is _DELETE:
            node.pop(last)
        else:
            node[last] = value
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


_DELETE = object()


@pytest.fixture
def dataset(tmp_path):
    """A folder that exists (the file checks run before any dataset is read)."""
    (tmp_path / "ds").mkdir()
    return str(tmp_path / "ds")


def test_augment_run_config_and_file_errors_are_one_line(tmp_path, dataset):
    missing = str(tmp_path / "nope.yaml")
    _assert_one_line(_run(["augment", "run", "--config", missing]), missing, "not found")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("dataset: [unclosed\nout: x\n")
    _assert_one_line(_run(["augment", "run", "--config", str(bad_yaml)]), str(bad_yaml), "not valid YAML")
    typo = _yaml(tmp_path, AUGMENT, "typo.yaml", datset="x")
    _assert_one_line(_run(["augment", "run", "--config", typo]), typo, "datset: unknown key")
    no_data = _yaml(tmp_path, AUGMENT, "nodata.yaml", dataset=str(tmp_path / "no_dataset"))
    _assert_one_line(_run(["augment", "run", "--config", no_data]), no_data, "dataset", "no_dataset")
    no_ctx = _yaml(tmp_path, AUGMENT, "noctx.yaml", dataset=dataset, build_sample_contexts=False,
                   contexts=str(tmp_path / "ctx" / "contexts.jsonl"), out=str(tmp_path / "out"))
    _assert_one_line(_run(["augment", "run", "--config", no_ctx]), no_ctx, "contexts", "not found")
    no_pol = _yaml(tmp_path, AUGMENT, "nopolicy.yaml", dataset=dataset, out=str(tmp_path / "out"),
                   policy_checkpoint=str(tmp_path / "ckpt"))
    _assert_one_line(_run(["augment", "run", "--config", no_pol]), no_pol, "policy_checkpoint", "ckpt")
    bad_class = _yaml(tmp_path, AUGMENT, "badclass.yaml", classes=["surprise", "boredom"])
    _assert_one_line(_run(["augment", "run", "--config", bad_class]), bad_class, "classes", "boredom")
    assert not (tmp_path / "out").exists()        # nothing was written for any of them


def test_train_misspelt_reward_weight_fails_before_ray(tmp_path):
    import ray

    cfg = _yaml(tmp_path, TRAIN, "qualty.yaml", **{"env.reward.weights": {"steps": 0.2, "qualty": 0.3}})
    line = _assert_one_line(_run(["train", "run", "--config", cfg]), cfg, "env.reward", "qualty")
    assert "expected names from" in line
    assert not ray.is_initialized()


def test_train_missing_contexts_fails_before_ray(tmp_path):
    import ray

    cfg = _yaml(tmp_path, TRAIN, "noctx.yaml", **{"env.contexts": str(tmp_path / "none.jsonl"),
                                                   "build_sample_contexts": False})
    _assert_one_line(_run(["train", "run", "--config", cfg]), cfg, "env.contexts", "none.jsonl")
    assert not ray.is_initialized()
    gen = _yaml(tmp_path, TRAIN, "gen.yaml", **{"env.generation.generator": "warpp"})
    _assert_one_line(_run(["train", "run", "--config", gen]), gen, "env.generation.generator", "warpp")


def test_data_summary_of_a_file_says_it_is_not_a_folder(tmp_path):
    f = tmp_path / "a_file.txt"
    f.write_text("hello")
    _assert_one_line(_run(["data", "summary", str(f)]), "not a folder", str(f))
    _assert_one_line(_run(["data", "summary", str(tmp_path / "missing")]), "not found")


def test_serve_config_errors_are_one_line_before_ray(tmp_path):
    import ray

    _assert_one_line(_run(["serve", "--config", str(tmp_path / "none.yaml")]), "none.yaml", "not found")
    cfg = _yaml(tmp_path, "serve/config.yaml", "s.yaml", **{"applications": [{"name": "argen", "args": {"generatr": "warp"}}]})
    _assert_one_line(_run(["serve", "--config", cfg]), cfg, "generatr: unknown key")
    _assert_one_line(_run(["serve", "--config", "serve/config.yaml", "--policy", str(tmp_path / "ckpt")]),
                     "policy_checkpoint", "ckpt")
    assert not ray.is_initialized()


def test_tune_and_asi_errors_are_one_line(tmp_path):
    abl = _yaml(tmp_path, "experiments/configs/ablation_warp_cpu.yaml", "abl.yaml",
                **{"train.env.contexts": str(tmp_path / "c.jsonl"), "train.build_sample_contexts": False})
    _assert_one_line(_run(["tune", "run", "--config", abl]), abl, "train.env.contexts")
    _assert_one_line(_run(["asi", "--dataset", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]), "nope")
