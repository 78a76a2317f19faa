"""The demo: the whole ARGen-RL loop on one machine with one HTML report (`argen demo`).

``run_demo(cfg, out, fresh=False, progress=True) -> Path`` (argen_rl.demo.pipeline) runs the
stages of ``argen_rl.demo.stages.STAGES`` through ``argen_rl.demo.runner.run_stages`` (resume
from the last finished stage) and renders ``report.html`` (argen_rl.demo.report)."""
