"""Why a store could not write to disk, in words a user can act on.

A full disk and a read-only folder (a read-only volume, a file this user may not write) are the
faults an operator meets and can fix. The stores on disk (the SQLite file, the JSONL data lake)
raise them as `StoreUnavailableError` with this message, so a command ends with what to do
rather than a traceback. What was stored before stays: a batch is one transaction, and a
failed one is rolled back whole.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from core.errors import StoreUnavailableError

FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
WRITE_ERRNOS = FULL_ERRNOS | {errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
_NEARLY_FULL = 1 << 20  # bytes: below this, a write error on an unclear cause is a full disk
_AGAIN = "then run the same command again (what was stored before the fault is kept)"


def write_fault(
    what: str, path: Path, cause: object, full: bool, setting: str
) -> StoreUnavailableError:
    """The error for a failed write of `what` at `path`; `full` when the cause says the disk
    is full; `setting` moves it elsewhere."""
    where = f"Cannot write {what} at {path} ({cause})"
    folder = _nearest_folder(path)
    free = _free_bytes(folder)
    # read-only first: a read-only image (squashfs, an ISO) also reports no free space
    if not full and any(p.exists() and not os.access(p, os.W_OK) for p in (path, folder)):
        # a read-only mount says no even to root (a `chmod` does not); the folder is where
        # a store makes its journal files
        return StoreUnavailableError(
            f"{where}: it is read-only. Make the folder and its files writable for this user "
            f"(remount a read-only volume read-write), or point {setting} elsewhere, {_AGAIN}."
        )
    if full or (free is not None and free < _NEARLY_FULL):
        shown = "unknown" if free is None else f"{free / 1e6:.1f} MB"
        return StoreUnavailableError(
            f"{where}: the disk is full ({shown} free). Free some space, or point {setting} "
            f"at a larger disk, {_AGAIN}."
        )
    return StoreUnavailableError(
        f"{where}. Check the disk (free space, permissions, errors in `dmesg`), {_AGAIN}."
    )


def _nearest_folder(path: Path) -> Path:
    """The folder `path` is (to be) written in, or its closest existing parent."""
    return next((p for p in path.parents if p.is_dir()), Path("/"))


def _free_bytes(folder: Path) -> int | None:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None
