"""A real server and headless Chromium (Debian's), for what only pixels show.

The server is started by the fixture on a free port, on a SQLite copy of the sample
database, and stopped by its own pid. Chromium missing means skip, unless
COCKPIT_REQUIRE_BROWSER=1 (CI), which turns the skip into a failure.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from data_access import db

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("COCKPIT_CHROMIUM", "/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "screenshots"
REQUIRE_BROWSER = os.environ.get("COCKPIT_REQUIRE_BROWSER") == "1"

# A JavaScript statement: `sizes`, the rendered font size (computed size times the CSS zoom
# it is drawn under) of every piece of text in view, smallest first.
TEXT_SIZES_IN_VIEW = """
  const sizes = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (!r.width || !r.height || cs.visibility === 'hidden' || r.bottom < 0
        || r.top > innerHeight) continue;
    sizes.push(parseFloat(cs.fontSize) * (el.currentCSSZoom || 1));
  }
  sizes.sort((a, b) => a - b);
"""
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{base} did not become healthy in {seconds} s")


def sample_env(sample_file: str) -> dict:
    """The environment in which a copy of the sample is the built-in sample (no login)."""
    return {db.ENV_VAR: sample_file, "COCKPIT_SAMPLE_DB": str(db.sqlite_path(sample_file))}


@contextmanager
def running_server(log: Path, env: dict, port: int | None = None,
                   shipped_config: bool = False):
    """A cockpit server (`streamlit run app.py`) with `env` added to the environment (a None
    value removes that variable); yields its base URL and stops it by its own pid.
    `shipped_config`: only the port on the command line, the rest from .streamlit/."""
    port = port or _free_port()
    full = {k: v for k, v in (os.environ | env).items() if v is not None}
    args = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    if not shipped_config:
        args += ["--server.headless", "true", "--server.address", "127.0.0.1",
                 "--browser.gatherUsageStats", "false"]
    with open(log, "w") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=full, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def server(sample_file, tmp_path_factory):
    """Base URL of a freshly started cockpit server on the sample database."""
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with running_server(log, sample_env(sample_file)) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)"
        if REQUIRE_BROWSER:
            pytest.fail(message + " (COCKPIT_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


class Visit:
    """One page opened in a fresh browser context, recording what went wrong."""

    def __init__(self, browser, url: str, width: int, height: int, scale: float = 1):
        self.context = browser.new_context(viewport={"width": width, "height": height},
                                           device_scale_factor=scale)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.outside: list[str] = []
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("request", self._check_request)
        self.page.goto(url)

    def _check_request(self, request):
        host = request.url.split("/")[2] if "://" in request.url else ""
        if request.url.startswith("http") and not host.startswith(("127.0.0.1", "localhost")):
            self.outside.append(request.url)

    def settle(self, selector: str, timeout_ms: int = 45_000) -> None:
        """Wait until `selector` shows and the script run has finished."""
        self.page.wait_for_selector(selector, timeout=timeout_ms)
        self.page.wait_for_function(
            "() => !document.querySelector('[data-testid=stStatusWidget] button')"
            " && document.querySelectorAll('[data-stale=true]').length === 0",
            timeout=timeout_ms)
        self.page.wait_for_timeout(1500)

    def errors_on_page(self) -> list[str]:
        boxes = self.page.locator("[data-testid=stException], [data-testid=stAlertContentError]")
        return [boxes.nth(i).inner_text() for i in range(boxes.count())]

    def screenshot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=False)
        return path

    def close(self):
        self.context.close()
