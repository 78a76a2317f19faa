"""``run_demo``: every stage in order into one run folder, then report.html + report.json."""
from __future__ import annotations

import os
import time
from pathlib import Path

from argen_rl.config import dump_config
from argen_rl.demo.config import DemoConfig
from argen_rl.demo.runner import DemoRun, run_stages


def default_out() -> Path:
    return Path("runs") / f"demo-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


def latest_out(base: Path = Path("runs")) -> Path | None:
    runs = sorted(p for p in base.glob("demo-*") if p.is_dir())
    return runs[-1] if runs else None


def run_demo(cfg: DemoConfig, out: Path, fresh: bool = False, progress: bool = True,
             log=print) -> Path:
    """Run (or resume) the demo in ``out``; returns the path of report.html."""
    from argen_rl.demo.report import write_report
    from argen_rl.demo.stages import STAGES

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")   # Ray on loopback only
    if cfg.torch_threads is not None:
        import torch

        torch.set_num_threads(cfg.torch_threads)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    dump_config(cfg, out / "demo_config.yaml")
    t0 = time.perf_counter()
    try:
        markers = run_stages(STAGES, DemoRun(out, cfg, progress), fresh=fresh, log=log)
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
    report = write_report(out, markers, cfg.model_dump(mode="json"), time.perf_counter() - t0,
                          cfg.report.grid_clips, cfg.report.gif_side)
    log(f"[demo] report: {report}  (wall {time.perf_counter() - t0:.1f} s; "
        + ", ".join(f"{k} {m['seconds']:.0f} s" for k, m in markers.items()) + ")")
    return report
