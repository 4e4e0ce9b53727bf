"""Peak memory of one stretch of work (a training run, an evaluation), not of the whole process.

On a GPU the figure is PyTorch's own peak of allocated device memory (`torch.cuda.max_memory_allocated`,
reset at the start). On the CPU it is the process's peak resident set: Linux keeps it as `VmHWM` in
`/proc/self/status` and lets a process reset it by writing "5" to `/proc/self/clear_refs` (proc(5)), so
several runs in one process each get their own peak. Where that reset is impossible (macOS, a locked-down
/proc), the figure falls back to `getrusage`'s lifetime peak and says so in its `kind`. psutil and
tracemalloc do not help here: the first samples (and misses short peaks), the second misses tensors
allocated by PyTorch's C++ allocator.
"""

from __future__ import annotations

import re
import resource
import sys
from pathlib import Path

import torch

_STATUS, _CLEAR = Path("/proc/self/status"), Path("/proc/self/clear_refs")


def _status_mb(field: str) -> float | None:
    """A memory field of `/proc/self/status` (VmHWM, VmRSS...) in MiB; None where there is none."""
    try:
        found = re.search(rf"{field}:\s+(\d+)\s+kB", _STATUS.read_text())
    except OSError:
        return None
    return int(found.group(1)) / 1024 if found else None


def _vm_hwm_mb() -> float | None:
    return _status_mb("VmHWM")


def resident_mb() -> float | None:
    """The process's resident set now (MiB; Linux), e.g. the baseline a run's peak is set against."""
    return _status_mb("VmRSS")


def _lifetime_peak_mb() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS
    scale = 1 / 1024 if sys.platform != "darwin" else 1 / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


class PeakMemory:
    """`with PeakMemory(device) as peak: ...` then `peak.mb` (MiB) and `peak.kind` (what was measured)."""

    def __init__(self, device: torch.device | str = "cpu"):
        self.device = torch.device(device)
        self.mb: float | None = None
        self.kind = ""
        self._reset = False

    def __enter__(self) -> PeakMemory:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.read()

    def start(self) -> PeakMemory:
        """Reset the peak (where possible) and start measuring from here."""
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self.kind = "CUDA memory allocated by PyTorch (peak)"
            return self
        try:
            _CLEAR.write_text("5")
            self._reset = _vm_hwm_mb() is not None
        except OSError:
            self._reset = False
        self.kind = (
            "process resident memory (peak over this run)"
            if self._reset
            else "process resident memory (peak since the process started)"
        )
        return self

    def read(self) -> float:
        """The peak so far (MiB); also stored in `mb`."""
        if self.device.type == "cuda":
            self.mb = torch.cuda.max_memory_allocated(self.device) / 1024**2
        else:
            self.mb = (_vm_hwm_mb() if self._reset else None) or _lifetime_peak_mb()
        return self.mb
