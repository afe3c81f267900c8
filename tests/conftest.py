"""Shared fixtures: data directories holding a published snapshot, built once per session."""

from __future__ import annotations

import shutil
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
def empty_data_dir(tmp_path_factory) -> Path:
    """A data dir where nothing is published yet."""
    return tmp_path_factory.mktemp("kamdash-empty")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where browser tests save screenshots and timings (kept as CI artifacts)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test of the session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
