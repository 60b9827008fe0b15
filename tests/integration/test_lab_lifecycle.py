"""The OBM lab's own start and stop: brought up again it changes nothing, stopped it leaves no
process, and it comes back after a crash.

These tests stop, kill and restart the lab they run on, so they run on the copy of the labs
(``lab_copy``, on ports of their own, from a directory only root may enter) that
test_lab_location.py brings up, not on the session's lab: make test runs them beside the
integration tests that use the session's lab (make no-shared-lab). They run before
test_lab_location.py, whose last test purges the copy: after it the copy's labs would have to be
brought up again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from typing import TYPE_CHECKING

import pytest
from obm_city import cyrus_admin, ldap_admin

if TYPE_CHECKING:
    from lab_copy import CopyObm, LabCopy

pytestmark = pytest.mark.integration


def lab_pids(lab: CopyObm) -> list[int]:
    out = subprocess.run(
        [str(lab.lab_dir / "bin" / "obm-lab"), "pids"], capture_output=True, text=True, check=True
    ).stdout
    return [int(pid) for pid in out.split()]


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def test_lab_up_again_and_in_check_mode_changes_nothing(lab_copy_up: LabCopy) -> None:
    second = lab_copy_up.run_playbook("lab_up.yml", "--tags", "obm")
    assert second.recap.get("changed") == 0, second.proc.stdout[-4000:]
    assert second.recap.get("failed") == 0
    checked = lab_copy_up.run_playbook("lab_up.yml", "--tags", "obm", "--check", "--diff")
    assert checked.recap.get("changed") == 0, checked.proc.stdout[-4000:]


MASTER_PID_FILES = (
    "ldap/run/slapd.pid",
    "saslauthd/run/saslauthd.pid",
    "cyrus/run/cyrus-master.pid",
    "postfix/queue/pid/master.pid",
)


def test_lab_up_after_a_crash(lab_copy_up: LabCopy) -> None:
    """The four master processes killed hard: stale pid files and sockets stay behind, and the
    orphaned Cyrus services keep the IMAP and LMTP ports. lab_up must clear them and start again."""
    obm = lab_copy_up.obm
    for name in MASTER_PID_FILES:
        pid = int((obm.lab_dir / name).read_text().split()[0])
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    time.sleep(1)
    assert lab_pids(obm), "the Cyrus services should outlive their master"
    lab_copy_up.run_playbook("lab_up.yml", "--tags", "obm")
    cyrus_admin(obm).logout()
    assert ldap_admin(obm).bound
    for name in MASTER_PID_FILES:
        pid = int((obm.lab_dir / name).read_text().split()[0])
        assert pid in lab_pids(obm), name


def test_lab_down_leaves_no_process_and_lab_up_restarts(lab_copy_up: LabCopy) -> None:
    obm = lab_copy_up.obm
    lab_copy_up.run_playbook("lab_down.yml", "--tags", "obm")
    assert lab_pids(obm) == []
    for port in (obm.ldap_port, obm.imap_port, obm.lmtp_port, obm.smtp_port):
        assert not port_open("127.0.0.1", port), port
    lab_copy_up.run_playbook("lab_up.yml", "--tags", "obm")
    cyrus_admin(obm).logout()
