"""The gate every run passes (kamdash.ui.admission / viewer / run_safely), below the browser:
open mode only on this computer, the pages shown when no one is admitted, and no traceback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from kamdash import ui


def gated_script():
    import streamlit as st

    from kamdash import ui

    who = ui.viewer()
    st.write(f"admitted: {who.role}")


def run(monkeypatch, tmp_path, *, local=True, signed_in=None, configured=False, env=None):
    monkeypatch.setenv("KAMDASH_DATA_DIR", str(tmp_path))
    for k, v in (env or {}).items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(ui, "_local_request", lambda: local)
    monkeypatch.setattr(ui, "sign_in_configured", lambda: configured)
    monkeypatch.setattr(ui, "_claims", lambda: dict(signed_in or {}))
    ui._policy.clear()
    at = AppTest.from_function(gated_script, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def text(at) -> str:
    parts = [
        e.value for kind in ("title", "subheader", "text", "markdown") for e in getattr(at, kind)
    ]
    return "\n".join(str(p) for p in parts)


def test_open_mode_admits_the_local_user(monkeypatch, tmp_path):
    assert "admitted: admin" in text(run(monkeypatch, tmp_path))


def test_open_mode_refuses_a_browser_from_the_network_unless_told(monkeypatch, tmp_path):
    at = run(monkeypatch, tmp_path, local=False)
    assert "admitted: " not in text(at)
    assert "open mode (no sign-in), which serves only this computer" in text(at)
    assert ui.OPEN_NETWORK_ENV in text(at)
    at = run(monkeypatch, tmp_path, local=False, env={ui.OPEN_NETWORK_ENV: "1"})
    assert "admitted: admin" in text(at)


def test_sign_in_configured_shows_only_the_sign_in_button(monkeypatch, tmp_path):
    at = run(monkeypatch, tmp_path, configured=True)
    assert "admitted: " not in text(at)
    assert [b.label for b in at.button] == ["Sign in"]


def test_no_access_file_admits_no_one_and_tells_the_deployer(monkeypatch, tmp_path):
    at = run(monkeypatch, tmp_path, configured=True, signed_in={"email": "a@b.c"})
    assert "admitted: " not in text(at)
    assert "No one can be admitted yet." in text(at)
    assert str(tmp_path / "access.toml") in text(at)
    assert [b.label for b in at.button] == ["Sign out"]


def test_an_address_not_in_the_file_has_no_access(monkeypatch, tmp_path):
    (tmp_path / "access.toml").write_text('[users."a@b.c"]\nrole = "leader"\n')
    at = run(monkeypatch, tmp_path, configured=True, signed_in={"email": "x@y.z"})
    assert "No access." in text(at) and "x@y.z" in text(at)
    at = run(monkeypatch, tmp_path, configured=True, signed_in={"email": "A@B.C"})
    assert "admitted: leader" in text(at)


def failing_script():
    from kamdash import ui

    def page():
        raise RuntimeError("/srv/secret/path exploded")

    ui.run_safely(page)


def test_an_unexpected_error_shows_an_error_id_not_a_traceback(caplog):
    at = AppTest.from_function(failing_script, default_timeout=30)
    with caplog.at_level("ERROR", logger="kamdash"):
        at.run()
    assert not at.exception
    (shown,) = [e.value for e in at.error]
    assert "Something went wrong" in shown and "/srv/secret" not in shown
    error_id = shown.split("error id ")[1].split(")")[0]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and "exploded" in str(logged[0].exc_info[1])


SHIPPED = {
    "client.showErrorDetails": "none",
    "server.address": "127.0.0.1",
    # watching files costs every run ~0.1 s when the virtualenv sits in the repository
    "server.fileWatcherType": "none",
}


@pytest.mark.parametrize("option", list(SHIPPED))
def test_the_shipped_config_hides_tracebacks_and_serves_this_computer(option):
    import tomllib
    from pathlib import Path

    config = tomllib.loads(
        (Path(__file__).parent.parent / ".streamlit" / "config.toml").read_text()
    )
    section, key = option.split(".")
    assert config[section][key] == SHIPPED[option]
