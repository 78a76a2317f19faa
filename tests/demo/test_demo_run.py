"""The demo end to end on a reduced budget: every stage really runs (sample dataset, ASI,
RLlib PPO on local Ray with the warp generator, augmentation with calibration, recognition,
metrics); report.html has every section and every image/GIF it references exists; a second
call resumes (skips finished stages) and a changed section reruns from that stage."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from argen_rl.config import load_config
from argen_rl.demo.config import DEFAULT_CONFIG, DemoConfig
from argen_rl.demo.pipeline import run_demo
from argen_rl.demo.report import SECTIONS

pytestmark = [pytest.mark.slow, pytest.mark.ray]


def tiny_config(tmp: Path, **recognition_train) -> DemoConfig:
    data = yaml.safe_load(DEFAULT_CONFIG.read_text())
    data["asi"]["identity"].update(frames_per_clip=2, max_identities=2)   # 2 identities x 3 emotions
    t = data["train"]
    t.update(iterations=2, checkpoint_every=1)
    t["ppo"].update(train_batch_size=8, minibatch_size=4, num_epochs=1)
    t["env"].update(pool_size=2)
    t["env"]["reward"]["k"] = 1
    t["env"]["generation"].update(frames=4, size=48)
    t["env"]["actions"] = {"steps": [2, 4], "a": [1.0, 2.0], "b": [1.0, 2.0]}
    t["eval"].update(random_actions=2, oracle=False, size=None)
    a = data["augment"]
    a["target_count"] = 4                          # surprise 3, disgust 2, fear 3 -> 4 clips to write
    a["generation"].update(frames=8, size=96)
    data["recognition"]["folds"] = [3]             # fold 3's test set holds a disgust and a fear clip
    data["recognition"]["train"].update(epochs=1, input_size=32, frames=4, width=8, **recognition_train)
    data["metrics"]["i3d"] = str(tmp / "no_such_i3d.pt")
    data["report"]["grid_clips"] = 3
    path = tmp / "tiny_demo.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_config(path, DemoConfig)


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.srcs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "img":
            self.srcs.append(a["src"])

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> _Refs:
    p = _Refs()
    p.feed(path.read_text())
    return p


def test_demo_tiny_run_report_and_resume(tmp_path):
    out = tmp_path / "demo"
    cfg = tiny_config(tmp_path)
    report = run_demo(cfg, out, progress=False, log=lambda s: None)

    assert report == out.resolve() / "report.html"
    html = parse(report)
    assert html.sections == list(SECTIONS)
    text = " ".join(html.text)
    # every referenced image / GIF exists, relative to the run folder
    assert html.srcs and all(not Path(s).is_absolute() and (out / s).is_file() for s in html.srcs)
    gifs = [s for s in html.srcs if s.endswith(".gif")]
    pngs = {Path(s).name for s in html.srcs if s.endswith(".png")}
    assert 1 <= len(gifs) <= 3
    assert {"class_distribution.png", "reward_curves.png", "action_curves.png", "action_histograms.png",
            "expression_strips.png"} <= pngs
    assert f"not available: {tmp_path / 'no_such_i3d.pt'}" in text

    rep = json.loads((out / "report.json").read_text())
    st = rep["stages"]
    assert set(rep["stage_seconds"]) == {"data", "asi", "train", "augment", "recognition", "metrics"}
    assert st["data"]["scarce"] == ["surprise", "disgust", "fear"] and st["data"]["synthetic"]
    assert st["asi"]["contexts"] == 6
    assert st["train"]["iterations"] == 2 and Path(st["train"]["checkpoint"]).is_dir()
    # every policy scored by the same fixed judge; the action per emotion x identity in the report
    judged = st["train"]["eval"]["judged"]
    assert set(judged) == {"greedy", "random", "mid"} and all("judge/read" in m for m in judged.values())
    assert "Every policy scored by the same fixed judge" in text and "Which action the policy picks" in text
    hist = st["train"]["action_histograms"]
    assert all(abs(sum(h["learned"]) - 1) < 1e-3 and len(h["learned"]) == 2 for h in hist.values())
    strips = st["augment"]["strips"]                # a strip per emotion on a real face
    assert [r["emotion"] for r in strips["rows"]] == ["surprise", "fear", "disgust", "happy", "sad", "angry"]
    assert Path(strips["identity"]).is_file() and all(r["target_aus"] for r in strips["rows"])
    per = st["augment"]["per_class"]
    assert set(per) >= {"surprise", "disgust", "fear"}
    assert all(v["attempts"] == v["written"] + v["rejected"] + v["relabelled_out"] for v in per.values())
    rows = {r["Data"]: r for r in st["recognition"]["rows"]}
    assert set(rows) == {"original", "augmented"}
    # generated clips join training (except in the fold whose test clip gave their identity frame)
    assert rows["original"]["n_train"] < rows["augmented"]["n_train"] <= \
        rows["original"]["n_train"] + st["augment"]["totals"]["written"]
    assert 0 <= rows["original"]["WAR"] <= 100 and "dWAR" in rows["augmented"]
    div = st["metrics"]["diversity_ssim"]
    assert st["metrics"]["n_videos"] == st["augment"]["totals"]["written"]
    assert div["value"] is None or 0 <= div["value"] <= 2
    assert st["metrics"]["fvd"]["status"].startswith("not available")

    # second call: every stage is finished -> skipped, same numbers
    seen: list[str] = []
    run_demo(cfg, out, progress=False, log=seen.append)
    assert sum("skipped" in s for s in seen) == 6
    again = json.loads((out / "report.json").read_text())
    assert again["stages"] == st

    # a changed recognition budget reruns recognition and metrics only
    seen.clear()
    run_demo(tiny_config(tmp_path, lr=0.02), out, progress=False, log=seen.append)
    skipped = [s.split(":")[0].replace("[demo] ", "") for s in seen if "skipped" in s]
    assert skipped == ["data", "asi", "train", "augment"]
    assert json.loads((out / "recognition" / "stage.json").read_text())["summary"]["train"]["lr"] == 0.02
