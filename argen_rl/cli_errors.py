"""How every `argen` subcommand reports bad input: ONE line on stderr, exit code 2.

A config that does not validate (``ConfigError``), a missing file or folder
(``FileNotFoundError`` / ``NotADirectoryError``), an unsafe path (``UnsafePathError``) or a bad
value (``ValueError``) raised anywhere inside a subcommand becomes::

    error: experiments/configs/x.yaml: invalid config: env.reward.weights: unknown reward 'qualty' ...

instead of a traceback. The root ``argen`` app is built with ``cls=OneLineErrors``, so every
subcommand registered on it (now and later: ``app.add_typer(...)``) gets this without code of its
own. A sub-app run on its own can use ``@one_line_errors`` on its command function.
Set ``ARGEN_TRACEBACK=1`` to get the full traceback instead (debugging).
"""
from __future__ import annotations

import functools
import os
from typing import Any, Callable, NoReturn, TypeVar

import click
import typer
from typer.core import TyperGroup

from argen_rl.config import ConfigError

F = TypeVar("F", bound=Callable[..., Any])
EXIT_BAD_INPUT = 2
MAX_LINE = 400
EXPECTED: tuple[type[BaseException], ...] = (ConfigError, FileNotFoundError, NotADirectoryError, ValueError)


def one_line(err: BaseException) -> str:
    """The error as one line: a multi-line ConfigError's items are joined with '; '."""
    if isinstance(err, (FileNotFoundError, NotADirectoryError)) and err.filename is not None and err.strerror:
        text = f"{err.filename}: {err.strerror.lower()}"       # OSError from open(): no "[Errno 2]"
    else:
        text = str(err) or type(err).__name__
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if len(lines) > 1:
        head, items = lines[0], [ln[2:] if ln.startswith("- ") else ln for ln in lines[1:]]
        text = f"{head.rstrip(':')}: {'; '.join(items)}"
    else:
        text = lines[0] if lines else type(err).__name__
    return text if len(text) <= MAX_LINE else text[:MAX_LINE - 4] + " ..."


def report(err: BaseException) -> NoReturn:
    """Print ``error: <one line>`` to stderr and exit 2."""
    typer.secho(f"error: {one_line(err)}", fg=typer.colors.RED, err=True)
    raise typer.Exit(EXIT_BAD_INPUT)


def _traceback_wanted() -> bool:
    return os.environ.get("ARGEN_TRACEBACK", "") not in ("", "0")


class OneLineErrors(TyperGroup):
    """Click group whose ``invoke`` turns the expected errors of any subcommand into one line."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EXPECTED as err:
            if _traceback_wanted():
                raise
            report(err)


def one_line_errors(fn: F) -> F:
    """The same for one command function (for a Typer app used without the root ``argen`` app)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except EXPECTED as err:
            if _traceback_wanted():
                raise
            report(err)

    return wrapper  # type: ignore[return-value]
