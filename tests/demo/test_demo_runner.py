"""Stage bookkeeping of the demo: finished stages are skipped, a failed stage leaves no marker and
the next call resumes from it (discarding its half-written folder), --fresh redoes everything,
and the demo config names a misspelt key and the file."""
from __future__ import annotations

import json

import pytest
import yaml

from argen_rl.config import ConfigError
from argen_rl.demo.config import DEFAULT_CONFIG, load_demo_config
from argen_rl.demo.runner import MARKER, DemoRun, Stage, run_stages


def _stages(calls: list[str], fail_in: set[str]) -> list[Stage]:
    def make(name: str):
        def run(r: DemoRun) -> dict:
            calls.append(name)
            out = r.dir(name)
            (out / "partial.txt").write_text("written before any failure")
            if name in fail_in:
                raise RuntimeError(f"{name} failed")
            prev = r.summaries.get("a", {}).get("value", 0)
            return {"value": prev + len(name), "files": sorted(p.name for p in out.iterdir())}
        return run
    return [Stage("a", "first", make("a"), ("data",)), Stage("bb", "second", make("bb"), ("recognition",)),
            Stage("ccc", "third", make("ccc"), ("metrics",))]


def test_resume_after_failure_and_fresh(tmp_path):
    cfg = load_demo_config()
    run = lambda: DemoRun(tmp_path, cfg, progress=False)  # noqa: E731
    calls: list[str] = []
    with pytest.raises(RuntimeError, match="bb failed"):
        run_stages(_stages(calls, {"bb"}), run(), log=lambda s: None)
    assert calls == ["a", "bb"]
    assert (tmp_path / "a" / MARKER).is_file() and not (tmp_path / "bb" / MARKER).exists()
    (tmp_path / "bb" / "stale.tmp").write_text("left by the failed attempt")

    calls.clear()
    markers = run_stages(_stages(calls, set()), run(), log=lambda s: None)
    assert calls == ["bb", "ccc"]                       # resumed at the failed stage
    assert markers["a"]["skipped"] and not markers["bb"]["skipped"]
    assert markers["bb"]["summary"]["files"] == ["partial.txt"]    # the failed attempt's folder was discarded
    assert markers["bb"]["summary"]["value"] == 1 + 2               # reads the skipped stage's stored summary
    assert json.loads((tmp_path / "ccc" / MARKER).read_text())["summary"]["value"] == 1 + 3

    calls.clear()
    run_stages(_stages(calls, set()), run(), log=lambda s: None)
    assert calls == []
    run_stages(_stages(calls, set()), run(), fresh=True, log=lambda s: None)
    assert calls == ["a", "bb", "ccc"]


def test_config_error_names_key_and_file(tmp_path):
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["recognition"]["train"]["epoks"] = 3
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"bad\.yaml(.|\n)*recognition\.train\.epoks: unknown key"):
        load_demo_config(path)
