"""`ganvae export` (a trained model's networks as ONNX files) and `ganvae serve` (an HTTP API over trained
models). Thin like `cli.py`: parse, call the library (`ganvae.export`, `ganvae.serve`), print."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ganvae.cli_common import ModelOpt, _command, _echo, _note

SeedOpt = Annotated[
    int | None, typer.Option("--seed", help="with --model NAME: the seed's model (default: the lowest seed)")
]


def _with_seed(model: str | None, seed: int | None) -> str | None:
    from ganvae.errors import ConfigError
    from ganvae.run_folder import model_folder_name

    if seed is None:
        return model
    if model is None:
        raise ConfigError("--seed picks a seed of the model --model names; add --model NAME")
    return model_folder_name(model, seed)


@_command
def export(
    run_dir: Annotated[
        Path, typer.Argument(help="a run, comparison or task folder, or a model folder in it")
    ],
    format_: Annotated[str, typer.Option("--format", help="onnx (the only format so far)")] = "onnx",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="folder to write (default: onnx/<model folder>)")
    ] = None,
    model_name: ModelOpt = None,
    seed: SeedOpt = None,
) -> None:
    """Export a trained model's decoder / generator (and a VAE's encoder) as ONNX files with a dynamic
    batch axis, plus model.json describing their inputs, outputs and the prior to draw codes from."""
    from ganvae.apply.capabilities import model_folder_for
    from ganvae.errors import ConfigError
    from ganvae.models.base import GenerativeModel
    from ganvae.writable import check_writable

    if format_.strip().lower() != "onnx":
        raise ConfigError(f"--format {format_!r} is not supported; use --format onnx")
    folder = model_folder_for("export", run_dir, _with_seed(model_name, seed))
    out = out or Path("onnx") / folder.name
    check_writable(out, "--out", folder=True)
    from ganvae.export.onnx import export_onnx

    manifest = export_onnx(GenerativeModel.load(folder), out)
    _echo(
        f"wrote {', '.join(manifest['files'])} and model.json of {manifest['model']} to {out} "
        f"(codes: {manifest['prior']['kind']} prior)"
    )


@_command
def serve(
    runs: Annotated[
        list[Path], typer.Argument(help="run, comparison or task folders (or model folders) to serve")
    ],
    host: Annotated[
        str, typer.Option(help="address to listen on; 0.0.0.0 opens it to the network (no authentication)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    threads: Annotated[int, typer.Option(help="PyTorch threads of the one worker that runs every model")] = 2,
) -> None:
    """Serve trained models over HTTP: a page at / (samples, latent map, morph, uploads) and a JSON API
    (/api/models, /api/sample, /api/encode, /api/decode, /api/reconstruct, /api/score, /api/map,
    /api/morph, /api/synthesize, /api/recommend); see README.md."""
    from ganvae.errors import ConfigError

    if not 0 < port < 65536:
        raise ConfigError(f"--port {port} is not a TCP port; give 1..65535, e.g. 8000")
    if threads < 1:
        raise ConfigError("--threads must be at least 1")
    try:
        import uvicorn

        from ganvae.serve.app import create_app
    except ImportError as exc:
        raise ConfigError(
            f"`ganvae serve` needs the serve extra ({exc.name} is missing): pip install 'ganvae[serve]'"
        ) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        _note(f"note: listening on {host}: anyone who can reach it may call the models (no authentication)")
    app = create_app(runs, threads=threads)
    names = sorted({s.name for s in app.state.catalog.values()})
    _echo(f"serving {len(names)} models ({', '.join(names)}) on http://{host}:{port}/api/models")
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False)
