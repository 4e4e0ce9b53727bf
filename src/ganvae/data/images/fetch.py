"""Download the built-in IDX datasets from their official servers, with SHA-256 checks and resume.

Each file streams to ``<file>.part``; an interrupted download resumes with an HTTP ``Range`` request (a
server that ignores it and answers 200 makes us start that file over); the finished ``.part`` is checked
against the published SHA-256 and only then renamed into place, so the data folder never holds a partial
or corrupt file under its final name. Files already present with the right checksum are not downloaded.

>>> fetch_dataset("fashion-mnist")          # doctest: +SKIP
PosixPath('/home/me/.cache/ganvae/fashion-mnist')
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ganvae.data.images.builtin import data_dir
from ganvae.errors import DataError

CHUNK = 1 << 16
USER_AGENT = "ganvae-fetch/0.1 (+https://pypi.org/project/ganvae)"


@dataclass(frozen=True)
class Source:
    """Where a dataset lives and the SHA-256 of each of its files."""

    base_url: str
    sha256: dict[str, str]


SOURCES: dict[str, Source] = {
    # Official server named in github.com/zalandoresearch/fashion-mnist (README, "Get the data"), which
    # publishes MD5s; the SHA-256 values of those same files are the ones used by e.g. the Flux.jl and
    # batchup loaders and agree with the official MD5s. (The Debian package's .gz files are re-compressed:
    # same pixels, different bytes, so they are not a reference for these checksums.)
    "fashion-mnist": Source(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        {
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
    ),
    # The mirror torchvision's MNIST loader tries first (yann.lecun.com often refuses downloads). SHA-256 of
    # the original files as published in torch.rb's MNIST resources (ankane/torch.rb), TensorFlow-datasets
    # era loaders and others, all agreeing; torchvision lists the matching MD5s.
    "mnist": Source(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        {
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    ),
}

OnBytes = Callable[[int, int | None], None]  # (bytes so far, total or None)


def fetchable() -> list[str]:
    """Names `fetch_dataset` knows how to download."""
    return sorted(SOURCES)


def fetch_dataset(
    name: str,
    dest: str | os.PathLike[str] | None = None,
    *,
    base_url: str | None = None,
    quiet: bool = False,
    timeout: float = 60.0,
) -> Path:
    """Download dataset `name` into `dest` (default: `data_dir(name)`) and return that folder.

    `base_url` replaces the official server (a mirror, or a local server in tests). Raises DataError on
    network errors (a partial ``.part`` file is kept so the next call resumes) and on checksum mismatch.
    """
    if name not in SOURCES:
        hint = "; digits ships with scikit-learn, nothing to fetch" if name == "digits" else ""
        raise DataError(f"cannot fetch {name!r}; known downloadable datasets: {', '.join(fetchable())}{hint}")
    source = SOURCES[name]
    folder = Path(dest).expanduser() if dest is not None else data_dir(name)
    folder.mkdir(parents=True, exist_ok=True)
    base = (base_url or source.base_url).rstrip("/") + "/"
    with _ProgressDisplay(quiet) as report:
        for filename, expected in source.sha256.items():
            target = folder / filename
            if target.is_file() and _sha256_file(target) == expected:
                report(filename, None)
                continue
            _download(base + filename, target, expected, timeout, report(filename, 0))
    return folder


def _download(url: str, target: Path, expected: str, timeout: float, progress: OnBytes | None) -> None:
    part = target.with_name(target.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    digest = hashlib.sha256()
    if offset:
        _hash_into(digest, part)
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:
            # Range not satisfiable: the .part is already whole (or longer than the file); check it as is.
            e.close()
            _finish(part, target, digest.hexdigest(), expected, url)
            return
        raise DataError(
            f"download of {url} failed: HTTP {e.code} {e.reason}; check the URL or try later"
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        reason = getattr(e, "reason", e)
        raise DataError(
            f"cannot reach {url} ({reason}); check your internet connection or proxy, "
            "or pass a mirror with --base-url"
        ) from None
    with response:
        if offset and response.status == 206 and _range_start(response) != offset:
            # A range other than the one we asked for cannot be appended: drop the .part, start over.
            part.unlink()
            response.close()
            _download(url, target, expected, timeout, progress)
            return
        resumed = offset > 0 and response.status == 206
        if not resumed:
            # No resume (fresh file, or the server ignored our Range and sent all of it with 200).
            offset, digest = 0, hashlib.sha256()
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        got = offset
        try:
            with open(part, "ab" if resumed else "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    got += len(chunk)
                    if progress:
                        progress(got, total)
        except (OSError, http.client.HTTPException) as e:
            raise DataError(
                f"download of {url} was interrupted ({e}); run the command again to resume"
            ) from None
    if total is not None and got < total:
        # http.client returns short reads quietly when the connection drops; keep the .part to resume.
        raise DataError(
            f"download of {url} stopped at {got} of {total} bytes; run the command again to resume"
        )
    _finish(part, target, digest.hexdigest(), expected, url)


def _finish(part: Path, target: Path, got: str, expected: str, url: str) -> None:
    if got != expected:
        part.unlink(missing_ok=True)
        raise DataError(
            f"checksum mismatch for {target.name} from {url} (got {got}, expected {expected}); "
            "the download is corrupt, run the command again"
        )
    os.replace(part, target)  # same folder, so the rename is atomic


def _range_start(response: http.client.HTTPResponse) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range", ""))
    return int(match.group(1)) if match else None


def _hash_into(digest: hashlib._Hash, path: Path) -> None:
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    _hash_into(digest, path)
    return digest.hexdigest()


class _ProgressDisplay:
    """Context manager yielding ``report(filename, start)`` -> per-file callback (rich bar, or nothing)."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar = None

    def __enter__(self) -> Callable[[str, int | None], OnBytes | None]:
        if not self.quiet:
            from rich.console import Console
            from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.bar.start()
        return self._report

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def _report(self, filename: str, start: int | None) -> OnBytes | None:
        if self.bar is None:
            return None
        if start is None:
            self.bar.console.print(f"{filename}: already present, checksum ok")
            return None
        task = self.bar.add_task(filename, total=None)

        def update(done: int, total: int | None) -> None:
            self.bar.update(task, completed=done, total=total)  # type: ignore[union-attr]

        return update
