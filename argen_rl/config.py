"""YAML config files validated by pydantic models, with errors that name the key and the file.

Every stage has one typed config class (a pydantic ``BaseModel`` with ``extra="forbid"`` and a
docstring per field); ``load_config(path, Model)`` reads a YAML file into it. A misspelt key or a
wrong type fails with a message such as::

    configs/train.yaml: invalid config
      - env.pool_size: Input should be a valid integer (got 'four')
      - trainer.lerning_rate: unknown key
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from argen_rl.paths import shorten

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors, field docstrings are kept."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=False)


class ConfigError(ValueError):
    """A config file could not be read or did not validate."""


def format_validation_error(err: ValidationError, source: str) -> str:
    lines = [f"{source}: invalid config"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "<root>"
        if e["type"] == "extra_forbidden":
            lines.append(f"  - {key}: unknown key")
        else:
            got = e.get("input")
            got_s = f" (got {shorten(got)})" if not isinstance(got, (dict, list)) else ""
            msg = e["msg"].removeprefix("Value error, ")
            lines.append(f"  - {key}: {msg}{got_s}")
    return "\n".join(lines)


def validate_config(data: dict[str, Any] | None, model: type[M], source: str = "<config>") -> M:
    try:
        return model.model_validate(data or {})
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, source)) from None


PathKind = str   # "file" | "dir" | "any"


def require_paths(source: str, checks: list[tuple[str, str | Path | None, PathKind]]) -> None:
    """Before anything starts: every configured path exists, else ONE ConfigError naming each
    missing key and the config file (``checks``: (dotted key, value or None = not set, kind))."""
    problems = []
    for key, value, kind in checks:
        if value is None or value == "":
            continue
        p = Path(value)
        if kind == "file" and not p.is_file():
            problems.append(f"  - {key}: {'is a folder, not a file' if p.is_dir() else 'file not found'}: {value}")
        elif kind == "dir" and not p.is_dir():
            problems.append(f"  - {key}: {'is a file, not a folder' if p.is_file() else 'folder not found'}: {value}")
        elif kind == "any" and not p.exists():
            problems.append(f"  - {key}: not found: {value}")
    if problems:
        raise ConfigError("\n".join([f"{source}: invalid config", *problems]))


def model_paths(prefix: str, generator_config: dict[str, Any]) -> list[tuple[str, Any, PathKind]]:
    """The path-like entries of a ``generator_config`` (``*_dir``, ``*_path``, ``*checkpoint``)
    as ``require_paths`` checks: e.g. the ti2v generator's ``model_dir``."""
    out = []
    for k, v in (generator_config or {}).items():
        if isinstance(v, (str, Path)) and (k.endswith(("_dir", "_path")) or k.endswith("checkpoint")):
            out.append((f"{prefix}.{k}", v, "dir" if k.endswith("_dir") else "any"))
    return out


def load_config(path: str | Path, model: type[M], overrides: dict[str, Any] | None = None) -> M:
    """Read YAML ``path`` into ``model``; ``overrides`` (dotted keys) are applied on top."""
    path = Path(path)
    data = load_yaml_mapping(path)
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, last = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{path}: {dotted}: cannot override inside a {type(node).__name__}")
        node[last] = value
    return validate_config(data, model, str(path))


def load_yaml_mapping(path: str | Path) -> dict[str, Any]:
    """A YAML file whose top level is a mapping, or a one-line ConfigError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file {'is a folder' if path.is_dir() else 'not found'}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where is not None else ""
        raise ConfigError(f"{path}: not valid YAML{at}: {getattr(err, 'problem', None) or err}") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (bad byte at offset {err.start})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


def dump_config(cfg: BaseModel, path: str | Path) -> Path:
    """Write a config as YAML (atomically) so a run's exact settings can be diffed later."""
    from argen_rl.io_utils import atomic_write_text

    return atomic_write_text(Path(path), yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
