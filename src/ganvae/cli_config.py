"""`--config FILE` and `--print-config` for `train`, `compare` and every `ganvae task`: a run described by
a TOML or YAML file, and its fully resolved options printed back in the same format, so that a run can be
repeated from its file.

A file's keys are the command's options without the dashes (`batch-size = 32`; `batch_size` is read
too), its argument by name (`model = "vae"` for `train`), and `--set` is a table (`[set]`, then
`width = 16`). The file's values become click's `default_map`, which is consulted only for the options
the command line leaves out: flags given on the command line override the file. An unknown key, a value
of the wrong type or a file that cannot be read or parsed is one line and exit code 2.

>>> print(dump({"data": "digits", "seeds": 1, "set": {"width": "16"}}, "toml"), end="")
data = "digits"
seeds = 1
<BLANKLINE>
[set]
width = 16
"""

from __future__ import annotations

import difflib
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml"}
FORMAT_KEY = "ganvae.config_format"  # where the --config callback leaves the file's format for --print-config
SET_KEY = "ganvae.config_set"  # and the file's --set pairs, which flags add to instead of replacing
OWN = ("config", "print_config", "ctx")  # this module's parameters: never keys of a file
SET = "set_"  # the --set option's parameter name: a table in a file


class _Refused(Exception):
    """A config file's problem, already worded; the callback prints it as one line, exit code 2."""


def config_options(fn: Callable[..., None]) -> Callable[..., None]:
    """Add `--config FILE` and `--print-config` to a Typer command `fn` (whose signature may come from
    `plan_options`). `fn` never sees them: with `--print-config` it is not called at all."""
    sig = inspect.signature(fn, eval_str=True)
    kinds = {name: _base_type(p.annotation) for name, p in sig.parameters.items()}

    def load(ctx: typer.Context, param: typer.CallbackParam, value: Path | None) -> Path | None:
        if value is not None and not ctx.resilient_parsing:
            try:
                values = read_config(value, ctx.command, kinds)
            except _Refused as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from None
            ctx.default_map = {**(ctx.default_map or {}), **values}
            ctx.meta[FORMAT_KEY] = FORMATS[value.suffix.lower()]
            ctx.meta[SET_KEY] = values.get(SET, [])
        return value

    own = [
        inspect.Parameter(
            "config",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[
                Path | None,
                typer.Option(
                    "--config",
                    help="a .toml or .yaml file of options (KEY = VALUE, the flags' names; --set as a "
                    "table named set); flags given here override it",
                    is_eager=True,  # read before the other options, so that the file fills their defaults
                    callback=load,
                ),
            ],
        ),
        inspect.Parameter(
            "print_config",
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[
                bool,
                typer.Option(
                    "--print-config",
                    help="print every option as resolved (file + flags) in the --config file's format "
                    "(TOML without one) and exit without running",
                ),
            ],
        ),
    ]
    wants_ctx = "ctx" in sig.parameters  # the command reads the context itself (which options were typed)
    if not wants_ctx:
        own.append(inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context))

    @functools.wraps(fn)
    def command(**kwargs: Any) -> None:
        ctx: typer.Context = kwargs["ctx"] if wants_ctx else kwargs.pop("ctx")
        kwargs.pop("config", None)
        source = ctx.get_parameter_source(SET) if SET in kwargs else None
        if source is not None and source.name == "COMMANDLINE" and ctx.meta.get(SET_KEY):
            # `--set beta=2` adds to the file's [set] table (and wins for its own keys), as every other
            # flag wins over its key: replacing the whole table would silently drop the file's settings
            kwargs[SET] = [*ctx.meta[SET_KEY], *kwargs[SET]]
        if kwargs.pop("print_config", False):
            fmt = ctx.meta.get(FORMAT_KEY, "toml")
            typer.echo(dump(resolved(kwargs, ctx.command), fmt, ctx.command_path), nl=False)
            return None
        return fn(**kwargs)

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in sig.parameters.values()]
    command.__signature__ = sig.replace(parameters=params + own)  # type: ignore[attr-defined]
    return command


def _base_type(annotation: Any) -> Any:
    """`int` from `Annotated[int | None, ...]`; `list` for `list[str]`."""
    if typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    return typing.get_origin(annotation) or annotation


def _key(param: Any) -> str:
    """The name of a parameter in a file: its long flag without the dashes, or an argument's name."""
    longs = [o[2:] for o in getattr(param, "opts", ()) if o.startswith("--")]
    return longs[0] if longs and param.param_type_name == "option" else param.name


def _keys(command: Any) -> dict[str, Any]:
    return {_key(p): p for p in command.params if p.name not in (*OWN, "help")}


# ---- reading ------------------------------------------------------------------------------------------
def read_config(path: Path, command: Any, kinds: dict[str, Any]) -> dict[str, Any]:
    """The file's values by parameter name, checked against `command`'s parameters and their types."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise _Refused(f"--config {path}: give a .toml, .yaml or .yml file (the suffix says the format)")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _Refused(f"--config {path} is not UTF-8 text; give a TOML or YAML file") from None
    except OSError as exc:
        raise _Refused(
            f"--config {path}: cannot read it ({exc.strerror or exc}); check the path and its permissions"
        ) from None
    data = _parse(text, fmt, path)
    keys = _keys(command)
    values: dict[str, Any] = {}
    for raw, value in data.items():
        key = str(raw).replace("_", "-")
        param = keys.get(key) or keys.get(str(raw))
        if param is None:
            close = difflib.get_close_matches(key, keys, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _Refused(
                f"--config {path}: unknown key {raw!r}{hint} for `{command.name}`; valid keys: "
                f"{', '.join(keys)}"
            )
        if value is None:  # YAML's null: the option is not set, as if the key were absent
            continue
        values[param.name] = _check(value, kinds.get(param.name, str), _key(param), path)
    return values


def _parse(text: str, fmt: str, path: Path) -> dict[str, Any]:
    if fmt == "toml":
        import tomllib

        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise _Refused(
                f"--config {path} is not valid TOML ({exc}); fix it, or write one with --print-config"
            ) from None
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
            problem = getattr(exc, "problem", None) or "cannot be parsed"
            raise _Refused(
                f"--config {path} is not valid YAML ({problem}{at}); fix it, or write one with --print-config"
            ) from None
        if data is None:  # an empty YAML file: no options
            data = {}
    if not isinstance(data, dict):
        raise _Refused(
            f"--config {path} holds a {type(data).__name__}, not KEY: VALUE pairs; write one option per line"
        )
    return data


_WHAT = {int: "an integer", float: "a number", bool: "true or false", str: "text", Path: "a path (text)"}
_EXAMPLE = {int: "3", float: "0.5", bool: "true", str: '"digits"', Path: '"runs/my-run"'}


def _check(value: Any, kind: Any, key: str, path: Path) -> Any:
    """`value` as the option's type; a one-line refusal when it is of another type (a number where text
    is expected is taken as its text, as on the command line: `normal-class = 0`)."""
    ok: Any = None
    if kind is bool:
        ok = value if isinstance(value, bool) else None
    elif isinstance(value, bool):
        ok = None  # a bool is an int to Python, never to a user
    elif kind is int:
        ok = value if isinstance(value, int) else None
    elif kind is float:
        ok = value if isinstance(value, (int, float)) else None
    elif kind in (str, Path):
        ok = value if isinstance(value, str) else str(value) if isinstance(value, (int, float)) else None
    elif kind is list:
        return _set_list(value, key, path)
    if ok is None:
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
        raise _Refused(
            f"--config {path}: {key} = {shown} is not {_WHAT.get(kind, kind.__name__)}; "
            f"write e.g. {key} = {_EXAMPLE.get(kind, '...')}"
        )
    return ok


def _set_list(value: Any, key: str, path: Path) -> list[str]:
    """`--set` from a table (`[set]` / `set: {width: 16}`) or a list of "key=value" strings."""
    if isinstance(value, dict) and all(_scalar(v) for v in value.values()):
        return [f"{k}={_text(v)}" for k, v in value.items()]
    if isinstance(value, list) and all(isinstance(v, str) and "=" in v for v in value):
        return list(value)
    raise _Refused(
        f"--config {path}: {key} must be a table of settings ([{key}] then width = 16) or a list of "
        f'"key=value" strings, not {value!r}'
    )


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _text(value: Any) -> str:
    """A file's value as the text `--set` would have been given (`true`, not Python's `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---- writing ------------------------------------------------------------------------------------------
def resolved(values: dict[str, Any], command: Any) -> dict[str, Any]:
    """The command's parameter values (as parsed from file + flags) by file key, as file values: paths as
    text, `--set` as a table, options left unset (None) out."""
    names = {p.name: _key(p) for p in command.params}
    out: dict[str, Any] = {}
    for name, value in values.items():
        if value is None or name not in names:
            continue
        if name == SET:
            pairs = [v.partition("=") for v in value]
            value = {k.strip(): v.strip() for k, _, v in pairs}
            if not value:
                continue
        elif isinstance(value, Path):
            value = str(value)
        out[names[name]] = value
    return out


def dump(values: dict[str, Any], fmt: str, command_path: str = "") -> str:
    """`values` (scalars and one level of tables) as a TOML or YAML file, tables last."""
    head = (
        f"# {command_path} --config FILE: these options; flags on the command line override them\n"
        if command_path
        else ""
    )
    flat = {k: v for k, v in values.items() if not isinstance(v, dict)}
    tables = {k: {n: _typed(t, fmt) for n, t in v.items()} for k, v in values.items() if isinstance(v, dict)}
    if fmt == "yaml":
        import yaml

        return head + yaml.safe_dump({**flat, **tables}, sort_keys=False, allow_unicode=True)
    lines = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in flat.items()]
    for name, table in tables.items():
        lines += [
            "",
            f"[{_toml_key(name)}]",
            *(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()),
        ]
    return head + "\n".join(lines) + "\n"


def _typed(text: str, fmt: str) -> Any:
    """A `--set` value as the file's number or boolean when that reads back as the very same text (so
    `width = 16`), else as a string: config.json records the text, and a file must reproduce it."""
    try:
        if fmt == "toml":
            import tomllib

            value = tomllib.loads(f"v = {text}")["v"]
        else:
            import yaml

            value = yaml.safe_load(text)
    except Exception:  # any text the format cannot read as a value stays a string
        return text
    return value if isinstance(value, (int, float, bool)) and _text(value) == text else text


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # repr round-trips a float; inf and nan are TOML's own spellings
    if isinstance(value, str):
        # a JSON string is a TOML basic string, but for DEL, which TOML wants escaped
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    raise TypeError(f"cannot write {value!r} to TOML")
