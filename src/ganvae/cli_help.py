"""How `ganvae ... --help` shows options, and `ganvae --version`.

Typer (0.29) prints a type beside every option, `<bool>` beside a flag too (`--quiet <bool>`), which reads
as if the flag took a value, and `<list[str]>` beside `--set`. `HelpGroup`, the class of every ganvae
command group, blanks a flag's type and names what a repeatable option takes, once, for every command
(instead of a metavar on each of dozens of declarations, and on `--help` itself, which no command
declares).
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

# what a repeatable option takes, by its parameter name; others show `<text>...`
REPEATED = {"set_": "<key=value>", "condition": "<column=value>"}


def _tidy(params: list[Any]) -> list[Any]:
    for p in params:
        if getattr(p, "is_flag", False) and not getattr(p, "count", False):
            p.metavar = ""  # the help shows nothing after a flag (the metavar wins over the type)
        elif getattr(p, "multiple", False) and p.metavar is None:
            p.metavar = REPEATED.get(p.name, "<text>")
    return params


class HelpGroup(TyperGroup):
    """A command group whose commands' help shows no type after a flag and `<key=value>` after --set."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _tidy(super().get_params(ctx))

    def get_command(self, ctx: Any, name: str) -> Any:
        command = super().get_command(ctx, name)
        if command is not None and not isinstance(command, TyperGroup) and not hasattr(command, "_tidy"):
            get_params = command.get_params

            def tidy_params(ctx: Any, _get=get_params) -> list[Any]:
                return _tidy(_get(ctx))

            command.get_params = tidy_params
            command._tidy = True  # wrapped once, however often the group is asked for it
        return command


def print_version(value: bool) -> None:
    """`--version`: the package's version, Python's and torch's (from package metadata: no torch import)."""
    if not value:
        return
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from ganvae import __version__

    try:
        torch = version("torch")
    except PackageNotFoundError:
        torch = "not installed"
    typer.echo(f"ganvae {__version__} (Python {platform.python_version()}, torch {torch})")
    raise typer.Exit()
