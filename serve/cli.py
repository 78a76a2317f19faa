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
    """Serve on-demand augmentation (POST /v1/augment, GET /v1/emotions, /healthz, /docs) and block.

    Everything listens on loopback unless the config says otherwise: the HTTP proxy
    (http_options.host, default 127.0.0.1), Ray's own servers (RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0)
    and the replicas' gRPC servers (replica_grpc_host); request bodies are capped in the proxy
    (serve/hardening.py). Config and file errors: one line, exit 2."""
    from argen_rl.cli_errors import one_line_errors

    one_line_errors(_serve)(config, port, replicas, policy, address)


def _serve(config: Path, port: int | None, replicas: int | None, policy: Path | None, address: str | None) -> None:
    from argen_rl.config import ConfigError, load_yaml_mapping, validate_config
    from serve.hardening import proxy_env
    from serve.settings import ServeConfig

    data = load_yaml_mapping(config)
    apps = data.get("applications")
    if not (isinstance(apps, list) and apps and isinstance(apps[0], dict)):
        raise ConfigError(f"{config}: applications: expected a list with the argen application")
    app_cfg = apps[0].setdefault("args", {}) or {}
    apps[0]["args"] = app_cfg
    http = data.setdefault("http_options", {}) or {}
    data["http_options"] = http
    http.setdefault("host", "127.0.0.1")          # loopback unless the config says otherwise
    if port is not None:
        http["port"] = port
    if replicas is not None:
        app_cfg["num_replicas"] = replicas
    if policy is not None:
        app_cfg["policy_checkpoint"] = str(policy.resolve())
    source = f"{config}: applications[0].args"
    cfg = validate_config(app_cfg, ServeConfig, source)
    cfg.check_files(source)                       # a missing checkpoint / model folder: before Ray starts
    serve_bin = shutil.which("serve", path=str(Path(sys.executable).parent)) or shutil.which("serve")
    if serve_bin is None:
        raise FileNotFoundError("the Ray Serve CLI `serve` is not installed (pip install 'ray[serve]')")
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": os.environ.get("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0"),
           **proxy_env(cfg.max_upload_bytes),
           # the proxy imports serve.hardening: put the checkout on the Ray workers' path
           "PYTHONPATH": os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
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
