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
import tempfile
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
def reseller_data_dir(tmp_path_factory) -> Path:
    """A data dir with a reseller sales workbook's shape (701 accounts, revenue by product
    category, industry and country; no tier, owner, scores, contacts, plans or QBRs):
    tiers from revenue alone, checks that cannot run (helpers.write_reseller_extract)."""
    from tests.helpers import write_reseller_extract

    src = write_reseller_extract(tmp_path_factory.mktemp("kamdash-reseller-src"))
    return _publish(src, tmp_path_factory.mktemp("kamdash-reseller"))


@pytest.fixture(scope="session")
def flat_data_dir(tmp_path_factory) -> Path:
    """Three accounts, two years of revenue (helpers.small_extract): the active-account count
    does not change (a change of +0) and there is no NRR a year ago (no year-ago change)."""
    from tests.helpers import small_extract

    src = small_extract(tmp_path_factory.mktemp("kamdash-flat-src") / "x", 1)
    return _publish(src, tmp_path_factory.mktemp("kamdash-flat"))


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

    def __init__(
        self,
        data_dir: Path,
        timeout: float = 60,
        *,
        secrets: str = "",
        env: dict[str, str] | None = None,
        script: Path | str = "app.py",
        cwd: Path = ROOT,
        log_name: str = "server",
    ):
        """`secrets`: the server's whole secrets.toml (`{url}` is replaced by the server's
        address); empty for open mode. A developer's own .streamlit/secrets.toml never
        applies: the server reads only this file. `script`, run from `cwd`: another app
        (the benchmark's floor pages), logged as `log_name`-PORT.log."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(ARTIFACTS / f"{log_name}-{self.port}.log", "w")  # noqa: SIM115
        self.secrets = Path(tempfile.mkdtemp(prefix="kamdash-secrets-")) / "secrets.toml"
        self.secrets.write_text(secrets.replace("{url}", self.url), encoding="utf-8")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script)]
            + ["--server.headless", "true", "--server.port", str(self.port)]
            + ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
            + ["--secrets.files", str(self.secrets)],
            cwd=cwd,
            env={**os.environ, "KAMDASH_DATA_DIR": str(data_dir), **(env or {})},
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
        shutil.rmtree(self.secrets.parent, ignore_errors=True)

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


# --- sign-in: a real OpenID Connect provider and a server that requires it -------------------

# Who may see what on the signed-in server (the sample's two biggest books; see test_sign_in).
ACCESS_TOML = """
[users."kam@example.com"]
role = "kam"
owners = ["Sarah Mitchell"]
[users."leader@example.com"]
role = "leader"
[users."admin@example.com"]
role = "admin"
"""


@pytest.fixture(scope="session")
def oidc_provider() -> str:
    """oidc-provider-mock on a free port: its sign-in form takes any subject, which becomes
    the `email` claim. Yields its issuer URL."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread() as srv:
        yield f"http://localhost:{srv.server_port}"


@pytest.fixture(scope="session")
def signed_in_server(sample_data_dir, oidc_provider, tmp_path_factory) -> Server:
    """The sample behind sign-in (`[auth]` in its secrets), access by ACCESS_TOML."""
    access = tmp_path_factory.mktemp("kamdash-access") / "access.toml"
    access.write_text(ACCESS_TOML, encoding="utf-8")
    secrets = f"""
[auth]
redirect_uri = "{{url}}/oauth2callback"
cookie_secret = "{os.urandom(24).hex()}"
client_id = "kamdash-tests"
client_secret = "kamdash-tests-secret"
server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"
"""
    srv = Server(sample_data_dir, secrets=secrets, env={"KAMDASH_ACCESS": str(access)})
    yield srv
    srv.stop()


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


# ---------------------------------------------------------------- hostile extract (safe text)
# Text from an extract is data, never markup (tests/test_safe_text.py, test_no_formulas.py,
# test_browser_hostile.py): the shipped sample CSVs with Markdown, HTML, autolinks and a live
# formula in account names, regions, industries, tiers, products, QBR notes, a header and a
# file name. Nothing may load from or link to HOSTILE_HOST.

HOSTILE_HOST = "evil.example"
HOSTILE = {
    "image": f"![x](http://{HOSTILE_HOST}/beacon.png)",
    "link": f"[Fix it](https://{HOSTILE_HOST})",
    "directive": ":red[alarm] :material/home: :smile:",
    "math": "$x^2$",
    "html": f'<img src="http://{HOSTILE_HOST}/i.png">',
    "anchor": f'<a href="http://{HOSTILE_HOST}">here</a>',
    "javascript": "[run](javascript:alert(1))",
    "autolink": f"http://{HOSTILE_HOST}/a www.{HOSTILE_HOST} bob@{HOSTILE_HOST}",
}
HOSTILE_FORMULA = f'=HYPERLINK("http://{HOSTILE_HOST}","Prod")'
HOSTILE_URL_PRODUCT = f"http://{HOSTILE_HOST}/product"
# a file name cannot hold '/': "https:host" still reaches the host from an http:// page
HOSTILE_FILE = f"accounts ![x](https:{HOSTILE_HOST}) [Fix it](https:{HOSTILE_HOST}).csv"


def _rewrite_csv(src: Path, dst: Path, row=None, header=None) -> None:
    import csv

    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    out = [header(head) if header else head]
    for i, r in enumerate(rows[1:]):
        d = dict(zip(head, r, strict=True))
        if row:
            row(i, d)
        out.append([d[h] for h in head])
    with open(dst, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(out)


def write_hostile_extract(folder: Path) -> list[Path]:
    """The sample CSVs made hostile: every account name, region and industry, one account in
    seven's tier, three products (a live formula, an HTML link, a bare URL), every QBR note,
    a QBR header and the accounts file's name."""
    folder.mkdir(parents=True, exist_ok=True)
    bits = list(HOSTILE.values())
    products = {
        "Security Add-on": HOSTILE_FORMULA,
        "Analytics Suite": f"{HOSTILE['anchor']} {HOSTILE['image']}",
        "Data Integration": HOSTILE_URL_PRODUCT,
    }

    def account(i, d):
        d["Account Name"] = f"{d['Account Name']} {bits[i % len(bits)]}"
        d["Region"] = f"{d['Region']} {HOSTILE['link']}"
        d["Industry"] = f"{d['Industry']} {HOSTILE['image']} {HOSTILE['autolink']}"
        if i % 7 == 0:
            d["Tier"] = f"{HOSTILE['directive']} {HOSTILE['math']} {HOSTILE['image']}"

    def product(i, d):
        d["Product"] = products.get(d["Product"], d["Product"])

    def note(i, d):
        d["Notes"] = f"{d['Notes']} {bits[i % len(bits)]} {HOSTILE['autolink']}"

    _rewrite_csv(SAMPLE_CSV / "accounts.csv", folder / HOSTILE_FILE, account)
    for name in ("revenue.csv", "opportunities.csv", "products.csv"):
        _rewrite_csv(SAMPLE_CSV / name, folder / name, product)
    _rewrite_csv(
        SAMPLE_CSV / "qbr.csv",
        folder / "qbr.csv",
        note,
        lambda head: [f"{h} {HOSTILE['image']}" if h == "Pipeline Coverage" else h for h in head],
    )
    for name in ("scores.csv", "stakeholders.csv", "team.csv", "wallet.csv"):
        shutil.copy(SAMPLE_CSV / name, folder / name)
    return sorted(folder.iterdir())


@pytest.fixture(scope="session")
def hostile_data_dir(tmp_path_factory) -> Path:
    """A data dir with the hostile extract published (write_hostile_extract)."""
    src = write_hostile_extract(tmp_path_factory.mktemp("kamdash-hostile-src"))
    return _publish(src, tmp_path_factory.mktemp("kamdash-hostile"))


# ------------------------------------------------------------ end of hostile extract (safe text)
