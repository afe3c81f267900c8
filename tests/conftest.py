"""Shared fixtures: data directories holding a published snapshot, the kamdash servers on them
and one headless Chromium, all built once per session.

Browser tests run the way Streamlit's own e2e_playwright suite does: `streamlit run` headless
on a free port, Debian's Chromium driven by Playwright's sync API, a 1280x720 viewport. The
helpers that drive a page (waits, screenshots) are in tests/helpers.py."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from kamdash.store.load import load_extract

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_XLSX = ROOT / "data" / "sample" / "kamdash_sample.xlsx"
SAMPLE_CSV = ROOT / "data" / "sample" / "csv"
ARTIFACTS = ROOT / "test-artifacts"
# Debian's Chromium, driven by Playwright (Playwright's own browser download is not used)
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 720}


def _publish(paths: list[Path], data_dir: Path) -> Path:
    prepared = load_extract(paths, data_dir)
    assert prepared.ok, prepared.report
    return data_dir


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory) -> Path:
    """A data dir with the shipped sample workbook published (every table present)."""
    return _publish([SAMPLE_XLSX], tmp_path_factory.mktemp("kamdash-sample"))


@pytest.fixture(scope="session")
def minimal_data_dir(tmp_path_factory) -> Path:
    """A data dir with an extract of only accounts + opportunities (CSV): no revenue, wallet,
    scores, stakeholders or QBR sheet; revenue comes from won opportunities."""
    src = tmp_path_factory.mktemp("kamdash-minimal-src")
    paths = []
    for name in ("accounts.csv", "opportunities.csv"):
        shutil.copy(SAMPLE_CSV / name, src / name)
        paths.append(src / name)
    return _publish(paths, tmp_path_factory.mktemp("kamdash-minimal"))


@pytest.fixture(scope="session")
def vendor_data_dir(tmp_path_factory) -> Path:
    """A data dir with one Salesforce Formatted Report on its own (5 accounts, 27 deals, no
    accounts sheet, no ID column): a real CRM's export, few accounts, every optional table
    missing."""
    from tests.vendor_exports import write_salesforce_xlsx

    export = write_salesforce_xlsx(tmp_path_factory.mktemp("kamdash-vendor-src"))
    return _publish([export.path], tmp_path_factory.mktemp("kamdash-vendor"))


@pytest.fixture(scope="session")
def empty_data_dir(tmp_path_factory) -> Path:
    """A data dir where nothing is published yet."""
    return tmp_path_factory.mktemp("kamdash-empty")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where browser tests save screenshots and timings (kept as CI artifacts)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# ------------------------------------------------------------------------ servers and browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`streamlit run app.py` on `data_dir`, on a free loopback port; its log goes to
    test-artifacts/server-PORT.log. Ready once its health endpoint answers."""

    def __init__(self, data_dir: Path, timeout: float = 60):
        ARTIFACTS.mkdir(exist_ok=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(ARTIFACTS / f"server-{self.port}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py"]
            + ["--server.headless", "true", "--server.port", str(self.port)]
            + ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
            cwd=ROOT,
            env={**os.environ, "KAMDASH_DATA_DIR": str(data_dir)},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            if self._healthy():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"streamlit did not start: see {self.log.name}")

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2) as r:
                return r.read().decode().strip() == "ok"
        except OSError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@pytest.fixture(scope="session")
def serve():
    """`serve(data_dir)`: the session's one server on that data dir, started on first use."""
    servers: dict[Path, Server] = {}

    def get(data_dir: Path) -> Server:
        key = Path(data_dir).resolve()
        if key not in servers:
            servers[key] = Server(key)
        return servers[key]

    yield get
    for s in servers.values():
        s.stop()


@pytest.fixture(scope="session")
def server(serve, sample_data_dir) -> Server:
    """The server on the shipped sample."""
    return serve(sample_data_dir)


@pytest.fixture(scope="session")
def minimal_server(serve, minimal_data_dir) -> Server:
    """The server on the accounts + opportunities extract."""
    return serve(minimal_data_dir)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test of the session."""
    if not Path(CHROMIUM).exists():  # pragma: no cover - CI installs it
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A fresh browser session (its own cookies, hence its own Streamlit session)."""
    ctx = browser.new_context(viewport=VIEWPORT)
    yield ctx.new_page()
    ctx.close()


@pytest.fixture(scope="session")
def render_times(artifacts):
    """Seconds each page took to finish rendering, written to render_times.json."""
    times: dict[str, float] = {}
    yield times
    if times:
        (artifacts / "render_times.json").write_text(json.dumps(times, indent=2) + "\n")
        print("\nRender times (s): " + ", ".join(f"{k} {v:.2f}" for k, v in times.items()))
