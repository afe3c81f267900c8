"""Errors with a plain message (its `str()`): what failed, why, and what to do.

`StoreError` is raised by the snapshot store (`store.snapshots` re-exports it: a damaged or
expired snapshot, a full disk, a read-only data folder) and by the saving of uploads; the CLI
prints it and exits non-zero, the pages show it as it is. `os_problem` words an OSError (or
DuckDB's I/O error, which carries the OS reason as text) for people.
"""

from __future__ import annotations

import errno
from pathlib import Path


class StoreError(Exception):
    """A store operation that was refused or failed; `str(e)` is the plain message."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "the snapshot store failed"


# the OS reasons said in plain words, and what to do about each
DISK_FULL = "the disk is full"
READ_ONLY = "the folder is read-only (or kamdash may not write to it)"
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
_DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_DISK_FULL_TEXT = ("no space left on device", "disk quota exceeded", "disk is full")
_READ_ONLY_TEXT = ("read-only file system", "permission denied", "operation not permitted")


def os_reason(e: BaseException) -> str:
    """disk full / read-only / the OS's own words, for an OSError or a DuckDB I/O error."""
    if isinstance(e, OSError) and e.errno is not None:
        if e.errno in _DISK_FULL_ERRNOS:
            return DISK_FULL
        if e.errno in _READ_ONLY_ERRNOS:
            return READ_ONLY
        return e.strerror or str(e)
    text = str(e).lower()
    if any(t in text for t in _DISK_FULL_TEXT):
        return DISK_FULL
    if any(t in text for t in _READ_ONLY_TEXT):
        return READ_ONLY
    return " ".join(str(e).split())[:300] or type(e).__name__


def os_problem(e: BaseException, path: Path | str, doing: str, folder: Path | str) -> str:
    """`Could not <doing> "<path>": <reason>. <what to do>`; `folder` is the one to fix."""
    reason = os_reason(e)
    if reason == DISK_FULL:
        todo = (
            f'Free space on the disk that holds "{folder}" (for example by deleting old '
            "snapshots or files you no longer need), then try again."
        )
    elif reason == READ_ONLY:
        todo = (
            f'Make "{folder}" writable for the account that runs kamdash (or point '
            "KAMDASH_DATA_DIR / --data-dir at a writable folder), then try again."
        )
    else:
        todo = f'Check "{folder}" and the disk it is on, then try again.'
    return f'Could not {doing} "{path}": {reason}. {todo}'
