"""`MountNamespace`: a private mount namespace for disk faults (a full disk, a read-only
folder) that only the commands a test runs in it see.

A tmpfs of a few megabytes fills up like a real disk (ENOSPC, SQLITE_FULL) and a read-only
bind mount refuses writes like a read-only volume (EROFS), even to root, which a `chmod` does
not. Both need CAP_SYS_ADMIN (root, as CI runs; elsewhere the tests skip, and in CI the skip
guard fails a run that skipped them); the mounts vanish with the
namespace, so nothing outlives the test. What is on them is read by a command run inside
(`run`): SQLite resolves `/proc/<pid>/root/...` to this process's own root.
"""

from __future__ import annotations

import os
import signal
import subprocess
from types import TracebackType

import pytest

UNSHARE = ["unshare", "--mount", "--propagation", "private"]  # mounts stay in the namespace


class MountNamespace:
    def __init__(self) -> None:
        self._holder: subprocess.Popen[str] | None = None

    def __enter__(self) -> MountNamespace:
        # a process that stays in the namespace keeps it (and its mounts) alive
        try:
            self._holder = subprocess.Popen(
                [*UNSHARE, "sh", "-c", "echo ready; exec sleep 600"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except FileNotFoundError:
            pytest.skip("`unshare` is not installed (util-linux)")
        assert self._holder.stdout is not None
        if self._holder.stdout.readline().strip() != "ready":
            _, stderr = self._holder.communicate(timeout=10)
            # a laptop's user account: a skip there; in CI (root) the skip guard fails the run
            pytest.skip(f"cannot make a mount namespace ({stderr.strip()}): needs CAP_SYS_ADMIN")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._holder is not None:
            os.kill(self._holder.pid, signal.SIGKILL)
            self._holder.communicate(timeout=10)

    @property
    def pid(self) -> int:
        assert self._holder is not None, "use the namespace in a `with` block"
        return self._holder.pid

    def run(
        self, *command: str, env: dict[str, str] | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """`command` in the namespace, its output captured."""
        return subprocess.run(
            ["nsenter", "--target", str(self.pid), "--mount", "--", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=check,
        )

    def mount(self, *arguments: str) -> None:
        done = self.run("mount", *arguments)
        assert done.returncode == 0, f"mount {' '.join(arguments)}: {done.stderr}"
