"""The page of `ganvae serve` in a real browser: Debian's chromium, headless, driven over its DevTools
protocol (on a pipe: no websocket library, nothing downloaded), against the app served by uvicorn on
loopback with tiny models trained on digits. The steps: the page loads with no console error, a click on
the latent map changes the decoded images, the morph slider changes the frame, an upload shows a
reconstruction and a score. A screenshot of the page is kept (GANVAE_SCREENSHOTS=folder copies it there).

Without chromium the test is skipped, except under CI=true, where .ci/run installs it: there it fails.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 1280


class Chromium:
    """Headless Chromium driven over its DevTools protocol on a pipe (--remote-debugging-pipe: commands in on
    fd 3, answers out on fd 4, each a JSON text ended by NUL), so no websocket library is needed."""

    def __init__(self, binary: str, profile: Path, width: int = WIDTH, height: int = 900):
        import fcntl

        to_r, self._to_w = os.pipe()  # our commands -> chromium's fd 3
        self._from_r, from_w = os.pipe()  # chromium's fd 4 -> our answers
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_r, from_w)]

        def as_3_and_4():  # in the child, before exec
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            [binary, *flags],
            pass_fds=(3, 4),
            preexec_fn=as_3_and_4,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for fd in (to_r, from_w, *high):
            os.close(fd)
        self._answers: dict[int, dict] = {}
        self.events: list[dict] = []
        self._next = 0
        self._buffer = b""
        target = next(t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page")
        attached = self.call("Target.attachToTarget", targetId=target["targetId"], flatten=True)
        self.session = attached["sessionId"]

    def _read(self, timeout: float) -> None:
        import select

        ready, _, _ = select.select([self._from_r], [], [], timeout)
        if not ready:
            return
        chunk = os.read(self._from_r, 1 << 20)
        if not chunk:
            raise RuntimeError("chromium closed its DevTools pipe")
        self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        for raw in messages:
            message = json.loads(raw)
            if "id" in message:
                self._answers[message["id"]] = message
            else:
                self.events.append(message)

    def call(self, method: str, timeout: float = 30, **params):
        """Send one DevTools command (to the page once attached) and wait for its answer."""
        self._next += 1
        message = {"id": self._next, "method": method, "params": params}
        if getattr(self, "session", None):
            message["sessionId"] = self.session
        os.write(self._to_w, json.dumps(message).encode() + b"\0")
        end = time.monotonic() + timeout
        while self._next not in self._answers:
            if time.monotonic() > end:
                raise TimeoutError(f"no answer to {method} in {timeout} s")
            self._read(end - time.monotonic())
        answer = self._answers.pop(self._next)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result", {})

    def js(self, expression: str):
        """The value of a JavaScript expression in the page (awaited when it is a promise)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60) -> None:
        """Until `expression` is true in the page."""
        end = time.monotonic() + timeout
        while not self.js(expression):
            if time.monotonic() > end:
                raise TimeoutError(f"still false after {timeout} s: {expression}")
            self._read(0.1)

    def idle(self, timeout: float = 60) -> None:
        """Until the page has no API call in flight (page.js counts them in body[data-pending])."""
        self.wait_for("document.body.dataset.pending === '0'", timeout)

    def click(self, x: float, y: float) -> None:
        """A real left click at page coordinates (x, y): pressed, released."""
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def box(self, selector: str) -> dict[str, float]:
        """The box (x, y, width, height in the viewport) of the first element `selector` matches, scrolled
        into view."""
        return self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const b = e.getBoundingClientRect();"
            " return {x: b.x, y: b.y, width: b.width, height: b.height}; })()"
        )

    def center(self, selector: str) -> tuple[float, float]:
        box = self.box(selector)
        return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and the browser's own error entries (a refused resource,
        a policy violation) seen so far."""
        out = []
        for e in self.events:
            p = e.get("params", {})
            if e["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
            elif e["method"] == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("exception", {}).get("description", str(p)))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] == "error":
                out.append(p["entry"]["text"] + " " + p["entry"].get("url", ""))
        return out

    def screenshot(self, path: Path) -> None:
        height = self.js("document.documentElement.scrollHeight")
        data = self.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1},
        )["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):  # already gone
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_w)
        os.close(self._from_r)


@pytest.fixture(scope="module")
def served(digits_runs):
    """The app on a free loopback port, in a thread; its URL."""
    from ganvae.serve.app import create_app
    from ganvae.serve.limits import Limits

    app = create_app([digits_runs / "cmp"], limits=Limits(map_images=100))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    end = time.monotonic() + 30
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def browser(tmp_path):
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing under CI; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium not installed: apt-get install chromium")
    b = Chromium(CHROMIUM, tmp_path / "profile")
    for domain in ("Runtime", "Log", "Page", "DOM"):
        b.call(f"{domain}.enable")
    yield b
    b.close()


def _src(b: Chromium, selector: str) -> str:
    return b.js(f"document.querySelector({json.dumps(selector)}).getAttribute('src') || ''")


def test_the_page_in_a_browser(served, browser, digits_runs, tmp_path):
    b = browser
    b.call("Page.navigate", url=served)
    b.wait_for("document.querySelectorAll('#map circle.point').length === 100", 90)
    b.wait_for("document.querySelectorAll('#morph-columns img[src]').length === 2", 90)
    b.idle(90)
    assert b.errors() == [] and b.js("document.getElementById('status').textContent") == ""
    assert b.js("document.querySelectorAll('#columns img[src]').length") == 2  # a sample grid per model

    # a click on the latent map: a point of another class than the chosen one
    decoded = '#map-decoded .column[data-model="vae-seed0"] img'
    before = _src(b, decoded)
    assert before.startswith("data:image/png")
    target = b.js(
        "(() => { const map = explore.map; const first = map.labels[explore.index];"
        " return map.labels.findIndex((y) => y !== first); })()"
    )
    b.click(*b.center(f'#map circle[data-index="{target}"]'))
    b.idle()
    assert b.js("explore.index") == target
    after = _src(b, decoded)
    assert after.startswith("data:image/png") and after != before
    gan = _src(b, '#map-decoded .column[data-model="dcgan-seed0"] img')
    assert gan.startswith("data:image/png")
    # a slider along the first principal direction redecodes
    x, y = b.center("#map-pc1")
    b.click(x + 60, y)
    b.idle()
    assert b.js("explore.offsets[0]") > 0 and _src(b, decoded) != after

    # the morph slider: a click near its right end shows a later frame
    frame = '#morph-columns .column[data-model="vae-seed0"] img'
    first = _src(b, frame)
    box = b.box("#morph-slider")
    b.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
    b.idle()
    last = b.js("Number(document.getElementById('morph-slider').value)")
    assert last == b.js("Number(document.getElementById('morph-slider').max)") == 8
    assert _src(b, frame) != first and _src(b, frame) == "data:image/png;base64," + b.js(
        "explore.morphFrames['vae-seed0'][8]"
    )

    # an upload: a reconstruction by every model (with its time) and a score against the calibration
    from ganvae.data import load_images

    digit = (load_images("digits").x_test[0, 0].numpy() * 255).round().astype(np.uint8)
    Image.fromarray(digit).save(tmp_path / "digit.png")
    node = b.call(
        "DOM.querySelector", nodeId=b.call("DOM.getDocument")["root"]["nodeId"], selector="#upload-file"
    )
    b.call("DOM.setFileInputFiles", files=[str(tmp_path / "digit.png")], nodeId=node["nodeId"])
    b.wait_for("document.querySelectorAll('#upload-columns .column[data-model] img[src]').length === 2", 60)
    b.idle()
    vae = '#upload-columns .column[data-model="vae-seed0"]'
    assert "reconstructed in" in b.js(f"document.querySelector('{vae} .time').textContent")
    score = b.js(f"document.querySelector('{vae} .score').textContent")
    assert (
        "score (neg-elbo)" in score and "threshold" in score and ("normal" in score or "anomalous" in score)
    )
    dcgan = '#upload-columns .column[data-model="dcgan-seed0"]'
    assert "latent inversion" in b.js(f"document.querySelector('{dcgan} .time').textContent")
    assert "no threshold" in b.js(f"document.querySelector('{dcgan} .score').textContent")

    assert b.errors() == [] and b.js("document.getElementById('status').textContent") == ""
    shot = tmp_path / "serve-page.png"
    b.screenshot(shot)
    assert Image.open(shot).size[0] == WIDTH
    if os.environ.get("GANVAE_SCREENSHOTS"):
        shutil.copy(shot, Path(os.environ["GANVAE_SCREENSHOTS"]) / shot.name)
