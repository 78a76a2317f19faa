"""`argen serve`: run the augmentation endpoint from serve/config.yaml and block (Ctrl-C stops it)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import typer
import yaml

DEFAULT_CONFIG = Path(__file__).parent / "config.yaml"


def serve_command(
    config: Path = typer.Option(DEFAULT_CONFIG, "--config", "-c", help="Ray Serve config (serve/config.yaml format)"),
    port: int | None = typer.Option(None, help="override http_options.port"),
    replicas: int | None = typer.Option(None, help="override the generator deployment's num_replicas"),
    policy: Path | None = typer.Option(None, help="override policy_checkpoint (a trained policy)"),
    address: str | None = typer.Option(None, help="Ray address (default: RAY_ADDRESS, a running local "
                                       "cluster, else a new one; 'local' always starts a new one)"),
) -> None:
    """Serve on-demand augmentation (POST /v1/augment, GET /v1/emotions, /healthz, /docs) and block."""
    from argen_rl.config import ConfigError, validate_config
    from serve.settings import ServeConfig

    if not config.is_file():
        raise typer.BadParameter(f"{config}: config file not found", param_hint="--config")
    data = yaml.safe_load(config.read_text()) or {}
    app_cfg = data["applications"][0].setdefault("args", {})
    if port is not None:
        data.setdefault("http_options", {})["port"] = port
    if replicas is not None:
        app_cfg["num_replicas"] = replicas
    if policy is not None:
        app_cfg["policy_checkpoint"] = str(policy.resolve())
    try:
        validate_config(app_cfg, ServeConfig, f"{config}: applications[0].args")
    except ConfigError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(2) from None
    serve_bin = shutil.which("serve", path=str(Path(sys.executable).parent)) or shutil.which("serve")
    if serve_bin is None:
        raise typer.BadParameter("the Ray Serve CLI `serve` is not installed (pip install 'ray[serve]')")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")}
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", prefix="argen-serve-", delete=False) as fh:
        yaml.safe_dump(data, fh, sort_keys=False)
    host, p = data.get("http_options", {}).get("host", "127.0.0.1"), data.get("http_options", {}).get("port", 8000)
    typer.echo(f"serving on http://{host}:{p}  (docs: /docs)  config: {config}")
    cmd = [serve_bin, "run", "--app-dir", str(root)] + (["--address", address] if address else []) + [fh.name]
    # `serve run` gets its own session, so Ctrl-C / SIGTERM reach it exactly once: from us
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    forward = lambda signum, _frame: proc.send_signal(signum)  # noqa: E731
    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = proc.wait()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        os.unlink(fh.name)
    raise typer.Exit(code)
