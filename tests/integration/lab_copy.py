"""Both labs run from a copy of the project's lab files, on ports of their own.

The copy sits under a directory only root may enter, as a clone in /root does (test_lab_location.py),
and its labs never take the ports of the session's labs: the tests that start, stop or crash a lab
(test_lab_lifecycle.py) run there, beside the integration tests that use the session's labs. The
conftest.py fixture ``lab_copy`` makes one copy per session; its labs' first bring-up, about a
minute, is made once for all these tests (``LabCopy.up``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml
from lab_runs import REPO, PlaybookRun, checked, lab_playbook

# The copy's ports: none of the labs of make lab (3389…, 15985, 15986, 10088, 3390, 18443), of the
# Exchange tests (25985, 25986, 20088, 23390), of the tests' password page (28443) or of molecule
# (23389…), and all below Linux's ephemeral range
# (32768-60999): make test runs the copy's tests beside the other integration tests, whose outgoing
# connections take ports from that range.
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
OBM_VARS = Path("inventories", "lab", "group_vars", "all", "obm.yml")


@dataclass(frozen=True)
class CopyObm:
    """The copy's OBM lab, with what obm_city.ldap_admin and cyrus_admin need to reach a lab."""

    lab_dir: Path
    ldap_host: str
    ldap_port: int
    admin_dn: str
    admin_password: str
    imap_host: str
    imap_port: int
    imap_admin: str
    imap_admin_password: str
    lmtp_port: int
    smtp_port: int


@dataclass
class LabCopy:
    root: Path
    first_up: subprocess.CompletedProcess[str] | None = None

    def playbook(self, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
        """lab/<name> in the copy, on the copy's ports."""
        ports = [f"-e{k}={v}" for k, v in PORTS.items()]
        return lab_playbook(name, *ports, *extra, root=self.root, timeout=900)

    def run_playbook(self, name: str, *extra: str) -> PlaybookRun:
        """The same, failing with its output when it fails."""
        return checked(name, self.playbook(name, *extra))

    def up(self) -> subprocess.CompletedProcess[str]:
        """Both labs' first bring-up in the copy, made by whichever test asks first; the others get
        its result. Nothing is installed: the session's labs did."""
        if self.first_up is None:
            self.first_up = self.playbook(
                "lab_up.yml", "-e", "obm_server_install_packages=false exchange_lab_install_packages=false"
            )
        return self.first_up

    def purge(self) -> subprocess.CompletedProcess[str]:
        """Both labs stopped and their state removed: the next up() brings them up afresh."""
        self.first_up = None
        return self.playbook("lab_down.yml", "-e", "obm_lab_purge=true")

    @property
    def obm(self) -> CopyObm:
        facts = yaml.safe_load((self.root / OBM_VARS).read_text(encoding="utf-8"))
        lab_dir = (self.root / ".lab" / "obm").resolve()  # its state, outside the copy

        def secret(name: str) -> str:
            return (lab_dir / "secrets" / name).read_text(encoding="utf-8").split()[0]

        return CopyObm(
            lab_dir=lab_dir,
            ldap_host=facts["obm_ldap_host"],
            ldap_port=PORTS["obm_ldap_port"],
            admin_dn=facts["obm_ldap_admin_dn"],
            admin_password=secret("ldapadmin"),
            imap_host=facts["obm_imap_host"],
            imap_port=PORTS["obm_imap_port"],
            imap_admin=facts["obm_imap_admin"],
            imap_admin_password=secret("cyrus"),
            lmtp_port=PORTS["obm_lmtp_port"],
            smtp_port=PORTS["obm_smtp_port"],
        )


def copy_labs(home: Path) -> LabCopy:
    """The lab's files copied into ``home``, made a directory only root may enter."""
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
    return LabCopy(copy)
