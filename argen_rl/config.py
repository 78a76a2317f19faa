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
            got_s = f" (got {got!r})" if not isinstance(got, (dict, list)) else ""
            lines.append(f"  - {key}: {e['msg']}{got_s}")
    return "\n".join(lines)


def validate_config(data: dict[str, Any] | None, model: type[M], source: str = "<config>") -> M:
    try:
        return model.model_validate(data or {})
    except ValidationError as err:
        raise ConfigError(format_validation_error(err, source)) from None


def load_config(path: str | Path, model: type[M], overrides: dict[str, Any] | None = None) -> M:
    """Read YAML ``path`` into ``model``; ``overrides`` (dotted keys) are applied on top."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    for dotted, value in (overrides or {}).items():
        node = data
        *parents, last = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return validate_config(data, model, str(path))


def dump_config(cfg: BaseModel, path: str | Path) -> Path:
    """Write a config as YAML (atomically) so a run's exact settings can be diffed later."""
    from argen_rl.io_utils import atomic_write_text

    return atomic_write_text(Path(path), yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
