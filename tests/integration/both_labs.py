# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab city in both labs at once, for tests that run playbooks/site.yml.

The fixture ``site_city`` (``site_city = both_labs.site_city``) extends ``exchange_city.city``
(its own mail domain, accepted domain and managed OU in the Exchange lab) with the domain's subtree
in the OBM lab, and runs the real playbooks on the copied inventory with the lab's secrets.
"""

from __future__ import annotations

import contextlib
import datetime
import imaplib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clock
import exchange_city
import ldap3
import obm_city
import pytest
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible_collections.danang.mail.plugins.module_utils import accounts, desired_state, ledger, plan
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem
from ansible_collections.danang.mail.plugins.plugin_utils.credentials import load_credentials
from exchange_city import City
from lab_city import add_obm_domain, password_for, task_result

city = exchange_city.city  # the fixture site_city builds on
REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
VAULT_PASSWORD = "lab-only-vault-password-of-the-site-tests"


@dataclass
class SiteCity:
    city: City
    obm: Any  # conftest.ObmLab
    log: Path  # ANSIBLE_LOG_PATH of every run

    @property
    def root(self) -> Path:
        return self.city.root

    @property
    def domain(self) -> str:
        return self.city.domain

    @property
    def credentials_dir(self) -> Path:
        return self.root / "credentials"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    def variables(self) -> dict[str, Any]:
        return {
            # The labs' real directories: a copied inventory would compute others (lab_state_dir).
            "obm_lab_dir": str(self.obm.lab_dir),
            "exchange_lab_dir": str(self.city.lab.lab_dir),
            **self.city.lab.playbook_vars,  # the tests' own Exchange lab (its name, ports, password)
            "danang_mail_domain": self.domain,
            "exchange_ad_managed_ou": self.city.ou,
            "danang_mail_credentials_dir": str(self.credentials_dir),
            "danang_mail_password_report_dir": str(self.reports_dir),
            # Notifications go from a mailbox of the test's own domain (the lab city's IT team).
            "danang_mail_notify_from": {"address": f"cntt@{self.domain}", "name": "Tổ Công nghệ thông tin"},
        }

    def command(self, playbook: str, *extra: str, inventory: Path | None = None) -> list[str]:
        (self.root / "vault-password").write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
        (self.root / "site-vars.json").write_text(json.dumps(self.variables()), encoding="utf-8")
        return [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(inventory or self.root / "hosts.yml"),
            str(REPO / playbook if "/" in playbook else REPO / "playbooks" / playbook),
            "--vault-password-file",
            str(self.root / "vault-password"),
            "-e",
            f"@{self.root / 'site-vars.json'}",
            *extra,
        ]

    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_LOG_PATH=str(self.log),
        )

    def run(
        self, playbook: str, *extra: str, inventory: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self.command(playbook, *extra, inventory=inventory),
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        return proc

    def run_until(self, playbook: str, stop: Callable[[], bool], *extra: str) -> bool:
        """Run ``playbook`` and kill it, its workers and module processes as soon as ``stop()`` holds:
        a crash at a point the test chooses. True when it was killed."""
        proc = subprocess.Popen(
            self.command(playbook, *extra),
            cwd=REPO,
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while proc.poll() is None:
                if stop():
                    kill_tree(proc.pid)
                    proc.wait()
                    return True
                time.sleep(0.005)
            return False
        finally:
            if proc.poll() is None:  # the test failed while polling: never leave the run behind
                kill_tree(proc.pid)
                proc.wait()

    def credentials(self) -> dict[str, list[dict[str, Any]]]:
        """Every entry of every credentials file the runs left (the hand-over the operator gets)."""
        vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
        found: dict[str, list[dict[str, Any]]] = {}
        for path in sorted(self.run_files()):
            for holder, entry in load_credentials(str(path), vault).items():
                found.setdefault(holder, []).append(entry)
        return found

    def write_personal_data(self, text: str) -> None:
        """The inventory's personal_data.vault.yml (R-43), encrypted with the runs' vault."""
        vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
        secret = VaultSecret(VAULT_PASSWORD.encode())
        (self.root / "personal_data.vault.yml").write_bytes(vault.encrypt(text, secret=secret))

    def pending(self) -> dict[str, dict[str, Any]]:
        vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
        return load_credentials(str(self.credentials_dir / "pending.vault.yml"), vault)

    def ldap_admin(self):
        lab = self.obm
        server = ldap3.Server(lab.ldap_host, port=lab.ldap_port, connect_timeout=5)
        return ldap3.Connection(server, lab.admin_dn, lab.admin_password, auto_bind=True)

    def obm_logins(self, conn=None) -> list[str]:
        """The persons' addresses in the OBM lab; ``conn``: a bound connection to reuse (fast polls)."""
        own = conn is None
        conn = conn or self.ldap_admin()
        conn.search(
            f"ou=users,dc={self.domain},{self.obm.base_dn}", "(objectClass=obmUser)", attributes=["mail"]
        )
        found = [str(e["attributes"]["mail"][0]) for e in conn.response or [] if e["attributes"]["mail"]]
        if own:
            conn.unbind()
        return found

    def run_files(self) -> list[Path]:
        """The runs' credentials files (not the pending record)."""
        return [p for p in self.credentials_dir.glob("*.vault.yml") if not p.name.startswith("pending")]

    def make_obm_accounts(self, scope: tuple[str, ...]) -> None:
        """The OBM accounts of the agencies ``scope``, made now by the project's own backend."""
        state = desired_state.load_desired_state(self.city.desired)
        holders = ledger.load_ledger(str(self.city.ledger_path)).holders()
        desired, problems = accounts.desired_accounts(state, holders, system="obm", agencies=scope)
        assert not problems
        with ObmSystem(obm_city.lab_config(self.obm, self.domain)) as backend:
            changes = plan.make_plan(desired, backend.read(), backend.render).changes
            passwords = {a.holder_id: password_for(a.holder_id) for a in desired.values() if not a.shared}
            assert all(r.ok for r in backend.apply(changes, passwords))

    def task_at(
        self, playbook: str, task: str, now: datetime.datetime, extra: dict[str, Any], *flags: str
    ) -> dict[str, Any]:
        """Run ``playbook`` with the clock at ``now``, the variables ``extra`` and ``flags`` (``--check``);
        the result of ``task``."""
        (self.root / "extra-vars.json").write_text(json.dumps(extra), encoding="utf-8")
        proc = subprocess.run(
            self.command(playbook, "-v", "-e", f"@{self.root / 'extra-vars.json'}", *flags),
            cwd=self.root,
            env=dict(clock.at(now, self.env()), ANSIBLE_CALLBACK_RESULT_FORMAT="json"),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        return task_result(proc.stdout, task)

    def imap_ok(self, address: str, password: str) -> bool:
        return obm_city.imap_ok(self.obm, address, password)


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def kill_tree(root: int) -> None:
    """SIGSTOP then SIGKILL ``root`` and every process under it, by pid: Ansible's workers leave the
    playbook's process group (setsid), so a signal to the group alone would let a module finish."""
    for sig in (signal.SIGSTOP, signal.SIGKILL):
        for pid in _descendants(root):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def _remove_obm_domain(lab: Any, domain: str) -> None:
    with contextlib.suppress(Exception):
        imap = imaplib.IMAP4(lab.imap_host, lab.imap_port)
        imap.login(lab.imap_admin, lab.imap_admin_password)
        _typ, listing = imap.list('""', f"*@{domain}")
        for line in listing or []:
            if not line:
                continue
            name = line.decode().rsplit(' "/" ', 1)[-1].rsplit(' "." ', 1)[-1].strip('"')
            imap.setacl(f'"{name}"', lab.imap_admin, "x")
            imap.delete(f'"{name}"')
        imap.logout()
    with contextlib.suppress(Exception):
        conn = ldap3.Connection(
            ldap3.Server(lab.ldap_host, port=lab.ldap_port), lab.admin_dn, lab.admin_password, auto_bind=True
        )
        base = f"dc={domain},{lab.base_dn}"
        conn.search(base, "(objectClass=*)", attributes=["1.1"])
        for dn in sorted((e["dn"] for e in conn.response or []), key=len, reverse=True):
            conn.delete(dn)
        conn.unbind()


@pytest.fixture
def site_city(city: City, obm_lab: Any, tmp_path: Path):
    conn = ldap3.Connection(
        ldap3.Server(obm_lab.ldap_host, port=obm_lab.ldap_port),
        obm_lab.admin_dn,
        obm_lab.admin_password,
        auto_bind=True,
    )
    add_obm_domain(conn, city.domain, obm_lab.base_dn)
    conn.unbind()
    yield SiteCity(city, obm_lab, tmp_path / "ansible.log")
    _remove_obm_domain(obm_lab, city.domain)
