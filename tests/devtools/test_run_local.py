"""``make run`` stops on SIGINT sent to make alone, which make itself does not pass on."""

import shutil
import signal
import subprocess
import sys
import time

import pytest

from devtools.run_local import _make_was_interrupted

MAKE, PGREP, PKILL, SLEEP = (shutil.which(tool) for tool in ("make", "pgrep", "pkill", "sleep"))

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not all((MAKE, PGREP, PKILL, SLEEP)),
    reason="Linux with make and procps",
)


def wait_for(condition, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_sigint_to_make_is_seen_by_its_child(tmp_path):
    (tmp_path / "Makefile").write_text("wait:\n\tsleep 30\n")
    make = subprocess.Popen(
        [MAKE, "-s", "-C", str(tmp_path), "wait"],
        start_new_session=True,
        # A foreground make: SIGINT handled, not ignored as in a background job.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert wait_for(lambda: subprocess.run([PGREP, "-P", str(make.pid)]).returncode == 0)
        assert not _make_was_interrupted(make.pid)

        make.send_signal(signal.SIGINT)

        assert wait_for(lambda: _make_was_interrupted(make.pid))
    finally:
        subprocess.run([PKILL, "-KILL", "-g", str(make.pid)])
        make.wait()


def test_any_other_parent_is_never_taken_for_an_interrupted_make():
    sleeper = subprocess.Popen([SLEEP, "30"])
    try:
        assert not _make_was_interrupted(sleeper.pid)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not _make_was_interrupted(sleeper.pid)  # gone: no /proc entry
