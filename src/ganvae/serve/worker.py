"""One worker thread for every model call of `ganvae serve`.

PyTorch already spreads one call over its intra-op threads; calls from concurrent requests running at
once would each do the same, oversubscribing the cores (16 clients x 2 threads on 2 cores) and slowing
every one of them. So calls queue for one thread, and the thread count is set once. A queue longer than
`max_queue` answers 503 at once instead of letting latency grow without bound.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ganvae.serve.limits import RequestError

T = TypeVar("T")


class Worker:
    def __init__(self, threads: int, max_queue: int):
        import torch

        self.threads = max(1, threads)
        torch.set_num_threads(self.threads)
        # set on the worker thread too: OpenMP keeps the count per thread on some builds
        self._pool = ThreadPoolExecutor(
            max_workers=1,
            thread_name_prefix="ganvae-model",
            initializer=torch.set_num_threads,
            initargs=(self.threads,),
        )
        self._waiting = 0
        self._lock = threading.Lock()
        self.max_queue = max_queue

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` on the worker thread, awaited; 503 when `max_queue` calls already wait."""
        with self._lock:
            if self._waiting >= self.max_queue:
                raise RequestError(503, f"{self._waiting} model calls are queued; retry in a moment")
            self._waiting += 1
        try:
            return await asyncio.wrap_future(self._pool.submit(fn, *args))
        finally:
            with self._lock:
                self._waiting -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def timed(served: Any, steps: int | None, fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """(fn(*args) detached, seconds), with a GAN's inversion steps set to `steps` for this call only (on
    the worker thread: no other call sees them)."""
    import dataclasses

    model, cfg = served.model, served.model.config
    if steps is not None:
        model.config = dataclasses.replace(cfg, inversion_steps=steps)
    start = time.perf_counter()
    try:
        out = fn(*args)
    finally:
        model.config = cfg
    return (out.detach() if hasattr(out, "detach") else out), time.perf_counter() - start
