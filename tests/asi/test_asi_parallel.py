"""ASI on Ray: clip workers + the writer's own actor give the single-process output, byte for byte."""
import json

import pytest
from typer.testing import CliRunner

from argen_rl.asi.cli import app
from argen_rl.data.sample import build_sample_dataset

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SAME = ["contexts.jsonl", "text_emb.npy", "image_emb.npy", "identities.csv", "identity_rejections.csv",
        "identities_sheet.png"]


def test_two_workers_write_what_one_process_writes(tmp_path_factory, tmp_path, ray_local):
    sample = build_sample_dataset(tmp_path_factory.mktemp("asi_par") / "dfew", layout="dfew", seed=0)
    cfg = tmp_path / "asi.yaml"
    cfg.write_text("identity:\n  frames_per_clip: 4\n  max_identities: 3\nparallel:\n  worker_cpus: 0.5\n"
                   "writer:\n  batch_size: 4\n")
    outs = {}
    for workers in (0, 2):
        out = tmp_path / f"w{workers}"
        res = CliRunner().invoke(app, ["--dataset", str(sample), "--out", str(out), "--config", str(cfg),
                                       "--workers", str(workers), "--quiet"])
        assert res.exit_code == 0, res.output
        outs[workers] = out
    a, b = outs[0], outs[2]
    for name in SAME:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    pngs = sorted(p.name for p in (a / "identities").iterdir())
    assert pngs == sorted(p.name for p in (b / "identities").iterdir()) and len(pngs) == 3
    for name in pngs:
        assert (a / "identities" / name).read_bytes() == (b / "identities" / name).read_bytes()
    sa, sb = (json.loads((o / "asi_summary.json").read_text()) for o in (a, b))
    assert (sa.pop("workers"), sb.pop("workers")) == (0, 2)
    sa.pop("timings"), sb.pop("timings")
    assert sa == sb and sa["contexts"] == 9
