"""The labs run from any clone location, and a daemon that cannot start says why.

A clone in root's home (0700) used to stop ``make lab``: slapd, running as openldap, could not
traverse the home to its configuration (errno 13), and ``obm-lab start slapd`` failed with nothing
on stderr. Here a copy of the project's lab files sits under a 0700 directory and brings both labs
up on ports of its own (so the session's labs keep theirs), without installing anything.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
# The copy's ports: none of the labs of make lab (3389…, 15985, 15986, 10088, 3390, 18443), of the
# Exchange tests (25985, 25986, 20088, 23390), of the tests' password page (28443) or of molecule
# (23389…), and all below Linux's ephemeral range (32768-60999): make test runs this beside the other
# integration tests, whose outgoing connections take ports from that range.
PORTS = {
    "obm_ldap_port": 30389,
    "obm_imap_port": 31143,
    "obm_lmtp_port": 32424,
    "obm_smtp_port": 32525,
    "obm_sieve_port": 31190,
    "obm_resubmit_port": 30587,
    "obm_rspamd_milter_port": 31332,
    "obm_rspamd_controller_port": 31334,
    "obm_redis_port": 31379,
    "obm_clamd_port": 31310,
    "exchange_port": 30985,
    "exchange_https_port": 30986,
    "exchange_kdc_port": 30088,
    "exchange_ad_port": 30390,
    "portal_lab_port": 30443,
}
EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def playbook(clone: Path, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(clone / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    args = [f"-e{k}={v}" for k, v in PORTS.items()]
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "inventories/lab/hosts.yml", f"lab/{name}", *args, *extra],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory):
    """The lab's files copied under a directory only root may enter, as a clone in /root is."""
    if os.geteuid() != 0:
        pytest.skip("the labs run daemons as their users: run as root")
    home = tmp_path_factory.mktemp("home")
    home.chmod(0o700)
    copy = home / "danang-mail"
    ignore = shutil.ignore_patterns(".lab", "output", "__pycache__", ".pytest_cache")
    for part in ("ansible.cfg", "inventories", "lab", "collections"):
        (copy / part).parent.mkdir(parents=True, exist_ok=True)
        if (REPO / part).is_dir():
            shutil.copytree(REPO / part, copy / part, ignore=ignore, symlinks=True)
        else:
            shutil.copy2(REPO / part, copy / part)
    (copy / ".venv").symlink_to(Path(sys.executable).parents[1])  # the Exchange lab server's Python
    yield copy
    playbook(copy, "lab_down.yml", "-e", "obm_lab_purge=true")


def test_both_labs_run_from_a_clone_the_daemons_users_cannot_enter(clone: Path) -> None:
    if EPHEMERAL.exists():  # a port an outgoing connection may hold makes the start fail at random
        low, high = (int(n) for n in EPHEMERAL.read_text().split())
        assert not [port for port in PORTS.values() if low <= port <= high]
    up = playbook(
        clone, "lab_up.yml", "-e", "obm_server_install_packages=false exchange_lab_install_packages=false"
    )
    assert up.returncode == 0, up.stdout[-6000:] + up.stderr[-2000:]
    for lab in ("obm", "exchange", "portal"):
        link = clone / ".lab" / lab
        assert link.is_symlink()
        assert not link.resolve().is_relative_to(clone.parent)  # the state is outside the 0700 home
    for port in PORTS.values():
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass


def test_a_daemon_that_cannot_start_prints_its_own_error(clone: Path) -> None:
    labctl = clone / ".lab" / "obm" / "bin" / "obm-lab"
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


def test_lab_down_purge_removes_the_state_outside_the_clone(clone: Path) -> None:
    state = (clone / ".lab" / "obm").resolve().parent
    assert state.is_dir()
    down = playbook(clone, "lab_down.yml", "-e", "obm_lab_purge=true")
    assert down.returncode == 0, down.stdout[-4000:]
    assert not state.exists()
    assert not (clone / ".lab" / "obm").is_symlink() and not (clone / ".lab" / "exchange").is_symlink()
