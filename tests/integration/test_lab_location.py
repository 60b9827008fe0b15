"""The labs run from any clone location, and a daemon that cannot start says why.

A clone in root's home (0700) used to stop ``make lab``: slapd, running as openldap, could not
traverse the home to its configuration (errno 13), and ``obm-lab start slapd`` failed with nothing
on stderr. Here a copy of the project's lab files sits under a 0700 directory and brings both labs
up on ports of its own (so the session's labs keep theirs), without installing anything: the copy of
lab_copy.py, which test_lab_lifecycle.py's tests share.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from lab_copy import PORTS

if TYPE_CHECKING:
    from lab_copy import LabCopy

pytestmark = pytest.mark.integration

EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def test_both_labs_run_from_a_clone_the_daemons_users_cannot_enter(lab_copy: LabCopy) -> None:
    clone = lab_copy.root
    if EPHEMERAL.exists():  # a port an outgoing connection may hold makes the start fail at random
        low, high = (int(n) for n in EPHEMERAL.read_text().split())
        assert not [port for port in PORTS.values() if low <= port <= high]
    up = lab_copy.up()  # nothing installed: the session's labs did
    assert up.returncode == 0, up.stdout[-6000:] + up.stderr[-2000:]
    for lab in ("obm", "exchange", "portal"):
        link = clone / ".lab" / lab
        assert link.is_symlink()
        assert not link.resolve().is_relative_to(clone.parent)  # the state is outside the 0700 home
    for port in PORTS.values():
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_a_daemon_that_cannot_start_prints_its_own_error(lab_copy_up: LabCopy) -> None:
    labctl = lab_copy_up.root / ".lab" / "obm" / "bin" / "obm-lab"
    subprocess.run([str(labctl), "stop", "slapd"], check=True, capture_output=True, timeout=60)
    try:
        with socket.socket() as squatter:  # slapd's port taken: only slapd can tell
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            squatter.bind(("127.0.0.1", PORTS["obm_ldap_port"]))
            squatter.listen()
            start = subprocess.run(
                [str(labctl), "start", "slapd"], capture_output=True, text=True, timeout=60
            )
        assert start.returncode == 1
        assert "failed slapd" in start.stderr
        assert "Address already in use" in start.stderr  # slapd's own words
    finally:
        subprocess.run([str(labctl), "start", "slapd"], check=False, capture_output=True, timeout=60)


def test_lab_down_purge_removes_the_state_outside_the_clone(lab_copy_up: LabCopy) -> None:
    clone = lab_copy_up.root
    state = (clone / ".lab" / "obm").resolve().parent
    assert state.is_dir()
    down = lab_copy_up.purge()
    assert down.returncode == 0, down.stdout[-4000:]
    assert not state.exists()
    assert not (clone / ".lab" / "obm").is_symlink() and not (clone / ".lab" / "exchange").is_symlink()
