"""The machine's available memory, and a refusal of what cannot fit in it, asked before allocating.

On Linux a tensor far larger than memory is not always refused by the allocator: the pages are promised
and the kernel's out-of-memory killer ends the process later, without a word. So ganvae estimates the
bytes of its large allocations (the images after `--image-size`) and refuses them up front, with the
estimate and what is available in the message. Available memory is psutil's when it is installed, else
the kernel's MemAvailable (/proc/meminfo), lowered to a container's limit (cgroup v2 or v1) when that is
tighter. Where neither can be read, nothing is refused.

>>> check_fits(30e9, "resizing digits to 2048x2048", "use a smaller --image-size")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from ganvae.errors import DataError

__all__ = ["available_bytes", "check_fits", "gigabytes"]

_CGROUP_LIMITS = (
    ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),  # v2
    ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"),  # v1
)


def available_bytes() -> int | None:
    """Bytes this process may still allocate without swapping, or None when unknown."""
    found = [n for n in (_system_available(), _cgroup_headroom()) if n is not None]
    return min(found) if found else None


def gigabytes(n: float) -> str:
    return f"{n / 1e9:.1f} GB"


def check_fits(n_bytes: float, what: str, hint: str) -> None:
    """Raise a DataError when `n_bytes` (what `what` allocates) exceed the available memory."""
    free = available_bytes()
    if free is not None and n_bytes > free:
        raise DataError(
            f"{what} needs about {gigabytes(n_bytes)} of memory, more than the {gigabytes(free)} "
            f"available here; {hint}"
        )


def _system_available() -> int | None:
    try:
        import psutil
    except ImportError:
        pass
    else:
        return int(psutil.virtual_memory().available)
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # the kernel writes kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_headroom() -> int | None:
    for limit_file, usage_file in _CGROUP_LIMITS:
        try:
            limit = Path(limit_file).read_text().strip()
            usage = int(Path(usage_file).read_text().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit() and int(limit) < 1 << 60:  # "max" / a huge number: no limit set
            return max(0, int(limit) - usage)
    return None
