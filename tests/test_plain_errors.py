"""Plain messages (the file, the reason, what to do), never a traceback, for a full disk, a
read-only data folder, a malformed or deeply nested TOML file, and paths with unusual
characters (which simply work)."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

import duckdb
import pytest

import kamdash.store.load as load
import kamdash.store.snapshots as snapshots
from kamdash.cli import main as cli
from kamdash.core.db import rows
from kamdash.core.settings import load_settings
from kamdash.ingest import upload
from kamdash.ingest.mapping import read_mapping_file
from kamdash.store.diff import diff_snapshots
from kamdash.store.load import load_extract, prepare
from kamdash.store.snapshots import SnapshotStore, StoreError
from tests.helpers import small_extract

FULL = OSError(errno.ENOSPC, "No space left on device")
READ_ONLY = OSError(errno.EROFS, "Read-only file system")


def _tree(d: Path) -> dict[str, bytes]:
    """Every published file (not a pending check's, nor the audit trail) and its bytes."""
    return {
        str(p.relative_to(d)): p.read_bytes()
        for p in sorted(d.rglob("*"))
        if p.is_file() and p.name != "audit.jsonl" and ".tmp-" not in str(p)
    }


@pytest.fixture
def published(tmp_path):
    data = tmp_path / "data"
    r = load_extract(small_extract(tmp_path / "first", 1), data)
    assert r.snapshot_id
    return data, r.snapshot_id


def _fail(exc: OSError):
    def raise_(*a, **k):
        raise exc

    return raise_


# -- disk full, read-only data folder ------------------------------------------------------------
@pytest.mark.parametrize(
    "exc,reason,todo",
    [
        (FULL, "the disk is full", "Free space on the disk that holds"),
        (READ_ONLY, "the folder is read-only (or kamdash may not write to it)", "writable"),
    ],
)
def test_publish_on_a_full_or_read_only_disk(published, tmp_path, monkeypatch, exc, reason, todo):
    data, first = published
    prepared = prepare(small_extract(tmp_path / "x", 2), data)
    assert prepared.ok
    before = _tree(data)
    monkeypatch.setattr(snapshots.os, "rename", _fail(exc))
    with pytest.raises(StoreError) as e:
        prepared.publish(uploaded_by="admin@example.com")
    msg = str(e.value)
    assert msg.startswith('Could not publish the snapshot "') and f": {reason}. " in msg
    assert todo in msg and str(data) in msg
    assert msg.endswith("Nothing was published: the published snapshots are as they were.")
    monkeypatch.undo()
    assert _tree(data) == before  # published data untouched
    assert not list((data / "snapshots").glob(".tmp-*"))  # the pending check removed
    assert SnapshotStore(data).current_id() == first


def test_switch_fails_on_a_read_only_folder_and_undoes_the_publish(
    published, tmp_path, monkeypatch
):
    data, first = published
    prepared = prepare(small_extract(tmp_path / "x", 2), data)
    before = _tree(data)
    monkeypatch.setattr(snapshots.os, "replace", _fail(READ_ONLY))
    with pytest.raises(StoreError) as e:
        prepared.publish()
    assert str(e.value) == (
        f'Could not switch the current snapshot in "{data / "CURRENT"}": the folder is '
        f'read-only (or kamdash may not write to it). Make "{data}" writable for the account '
        "that runs kamdash (or point KAMDASH_DATA_DIR / --data-dir at a writable folder), then "
        "try again. The current snapshot is unchanged."
    )
    monkeypatch.undo()
    assert _tree(data) == before
    assert [m["id"] for m in SnapshotStore(data).list()] == [first]
    assert not list((data / "snapshots").glob(".tmp-*"))


def test_use_on_a_full_disk(published, tmp_path, monkeypatch):
    data, first = published
    second = load_extract(small_extract(tmp_path / "x", 2), data).snapshot_id
    real_open = open

    def open_(file, mode="r", *a, **k):
        if "w" in mode:
            raise FULL
        return real_open(file, mode, *a, **k)

    monkeypatch.setattr("builtins.open", open_)
    with pytest.raises(StoreError) as e:
        SnapshotStore(data).use(first, by="admin@example.com")
    monkeypatch.undo()
    assert "the disk is full" in str(e.value)
    assert str(e.value).endswith("The current snapshot is unchanged.")
    assert SnapshotStore(data).current_id() == second


def test_cli_load_on_a_full_disk_exits_with_a_message(published, tmp_path, monkeypatch, capsys):
    data, first = published
    monkeypatch.setattr(snapshots.os, "rename", _fail(FULL))
    paths = [str(p) for p in small_extract(tmp_path / "x", 2)]
    assert cli(["load", *paths, "--data-dir", str(data)]) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: Could not publish the snapshot "') and "the disk is full" in err
    assert "Traceback" not in err
    assert SnapshotStore(data).current_id() == first


def test_a_check_on_a_read_only_data_folder_is_an_error_in_the_report(tmp_path, monkeypatch):
    data = tmp_path / "data"
    real_mkdir = Path.mkdir

    def mkdir(self, *a, **k):
        if self.name.startswith(".tmp-"):
            raise OSError(errno.EACCES, "Permission denied", str(self))
        return real_mkdir(self, *a, **k)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    r = prepare(small_extract(tmp_path / "x", 1), data)
    assert not r.ok
    [msg] = [p.message for p in r.report.errors]
    assert msg.startswith(f'Could not create a new snapshot in "{data / "snapshots"}": the folder')
    assert "writable" in msg


def test_a_check_that_fills_the_disk_is_an_error_in_the_report(tmp_path, monkeypatch):
    data = tmp_path / "data"

    def full(*a, **k):
        raise duckdb.IOException('IO Error: Could not write file "x": No space left on device')

    monkeypatch.setattr(load, "build_canonical", full)
    r = prepare(small_extract(tmp_path / "x", 1), data)
    [msg] = [p.message for p in r.report.errors]
    assert "the disk is full" in msg and msg.endswith("Nothing was published.")
    assert not list((data / "snapshots").glob(".tmp-*"))


def test_saving_uploads_on_a_full_disk(monkeypatch):
    before = set(upload.uploads_root().glob("*")) if upload.uploads_root().is_dir() else set()
    monkeypatch.setattr(Path, "write_bytes", _fail(FULL))
    with pytest.raises(StoreError) as e:
        upload.save_uploads([("accounts.csv", b"x")])
    monkeypatch.undo()
    assert str(e.value).startswith("Could not save the uploaded file to ")
    assert "the disk is full" in str(e.value)
    assert set(upload.uploads_root().glob("*")) == before  # nothing left behind


# -- TOML files ----------------------------------------------------------------------------------
NESTED_ARRAYS = "a = " + "[" * 10_000 + "]" * 10_000 + "\n"


def test_deeply_nested_mapping_file(tmp_path, capsys):
    f = tmp_path / "mapping.toml"
    f.write_text(NESTED_ARRAYS)
    with pytest.raises(ValueError) as e:
        read_mapping_file(f)
    assert str(e.value).startswith(
        f'mapping file "{f}" could not be read: its tables or arrays are nested inside each '
        "other hundreds of levels deep (at most 3 make sense). Fix it"
    )
    paths = [str(p) for p in small_extract(tmp_path / "x", 1)]
    assert cli(["load", *paths, "--mapping", str(f), "--data-dir", str(tmp_path / "d")]) == 1
    captured = capsys.readouterr()
    assert "nested inside each other" in captured.out + captured.err
    assert "Traceback" not in captured.err and "RecursionError" not in captured.err


def test_nested_tables_in_a_mapping_file(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text('[merge.product.x.y]\n"a" = "b"\n')
    with pytest.raises(ValueError) as e:
        read_mapping_file(f)
    assert str(e.value).startswith(
        f'mapping file "{f}": "merge.product.x.y" is nested 5 levels deep; a mapping file holds '
        "at most 3 (keys, and tables of keys)."
    )


@pytest.mark.parametrize(
    "text,fragment",
    [
        (NESTED_ARRAYS, "nested inside each other hundreds of levels deep"),
        ("[tier_weights.deep]\nx = 1\n", '"tier_weights.deep" is nested 3 levels deep'),
        ("nrr_target = \n", "not valid TOML"),
    ],
)
def test_bad_settings_file(tmp_path, capsys, text, fragment):
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.toml").write_text(text)
    with pytest.raises(ValueError) as e:
        load_settings(data_dir=data)
    assert str(e.value).startswith(f'settings file "{data / "settings.toml"}"')
    assert fragment in str(e.value)
    assert str(e.value).endswith("or remove the file to use the defaults.")
    r = prepare(small_extract(tmp_path / "x", 1), data)  # the check says it, too
    assert [p.code for p in r.report.errors] == ["settings"]
    assert cli(["metrics", "--data-dir", str(data)]) == 2
    assert fragment in capsys.readouterr().err


def test_settings_file_not_utf8(tmp_path):
    f = tmp_path / "settings.toml"
    f.write_bytes(b"currency = '\xa3'\n")
    with pytest.raises(ValueError) as e:
        load_settings(f)
    assert str(e.value).startswith(f'settings file "{f}" is not UTF-8 text (byte 12 is not)')


# -- unusual characters in paths -----------------------------------------------------------------
@pytest.mark.parametrize("folder", ['it\'s a "data" folder', "données été", "a;b'--c"])
def test_data_folder_with_quotes_spaces_and_accents(tmp_path, capsys, folder):
    data = tmp_path / folder / "data"
    src = tmp_path / folder / "extract"
    paths = [str(p) for p in small_extract(src, 1)]
    assert cli(["load", *paths, "--data-dir", str(data)]) == 0
    first = SnapshotStore(data).current_id()
    second = load_extract(small_extract(tmp_path / folder / "extract2", 2), data).snapshot_id
    store = SnapshotStore(data)
    d = diff_snapshots(store.path(first), store.path(second))
    assert "0 account(s) added" in d.summary()
    assert cli(["use", first, "--data-dir", str(data)]) == 0
    assert cli(["metrics", "--json", "--data-dir", str(data)]) == 0
    con = store.open()
    assert rows(con, "SELECT count(*) FROM accounts") == [(3,)]
    con.close()
    assert store.verify(first) is None and store.verify(second) is None
    shutil.rmtree(tmp_path / folder)
    capsys.readouterr()
    assert not os.path.exists(data)
