# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A copy of the lab city in the OBM lab, for the OBM integration tests.

``obm_town`` allocates the lab city's desired state into its own mail domain
(``t<random>.danang.gov.vn``: its own ``dc=<domain>,dc=local`` subtree and Cyrus mailboxes), removed
afterwards, so tests run in any order, again and again, against one lab, and never meet the real lab
city. The ledger of the copy is allocated first with the collection's library, as
``playbooks/allocate.yml`` does. Import the fixture with ``from obm_city import city``.
"""

from __future__ import annotations

import contextlib
import datetime
import imaplib
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ldap3
import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils import accounts, desired_state, ledger, plan
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem
from lab_city import add_obm_domain, allocate_into, copy_lab_inventory, password_for

if TYPE_CHECKING:
    from conftest import ObmLab

REPO = Path(__file__).resolve().parents[2]
FOLDERS = {"Trash", "Drafts", "SPAM", "Templates", "Sent"}


def lab_config(lab: Any, domain: str, **extra: Any) -> ObmConfig:
    """The backend's settings for ``domain`` in the OBM lab ``lab`` (conftest.ObmLab)."""
    return ObmConfig(
        ldap_uri=f"ldap://{lab.ldap_host}:{lab.ldap_port}",
        ldap_bind_dn=lab.admin_dn,
        ldap_bind_password=lab.admin_password,
        imap_admin_password=lab.imap_admin_password,
        imap_host=lab.imap_host,
        imap_port=lab.imap_port,
        imap_admin=lab.imap_admin,
        sieve_port=lab.sieve_port,
        domain=domain,
        mailbox_server=f"lmtp:{lab.imap_host}:{lab.lmtp_port}",
        ca_file=lab.ca_file,
        **extra,
    )


@dataclass
class City:
    lab: ObmLab
    root: Path
    domain: str

    @property
    def desired(self) -> Path:
        return self.root / "desired_state"

    @property
    def ledger_path(self) -> Path:
        return self.desired / "ledger.yml"

    @property
    def domain_dn(self) -> str:
        return f"dc={self.domain},{self.lab.base_dn}"

    def config(self, **extra: Any) -> ObmConfig:
        return lab_config(self.lab, self.domain, **extra)

    def accounts(self, scope: tuple[str, ...] | None = None) -> dict[str, accounts.Account]:
        state = desired_state.load_desired_state(self.desired)
        found, problems = accounts.desired_accounts(
            state, ledger.load_ledger(str(self.ledger_path)).holders(), system="obm", agencies=scope
        )
        assert not problems
        return found

    def reconcile(
        self, purge: bool = False, scope: tuple[str, ...] | None = None, **extra: Any
    ) -> tuple[plan.Plan, list[Any], ObmSystem]:
        desired = self.accounts(scope)
        with ObmSystem(self.config(**extra)) as backend:
            observed = backend.read()
            the_plan = plan.make_plan(desired, observed, backend.render, purge=purge)
            passwords = {a.holder_id: password_for(a.holder_id) for a in desired.values() if not a.shared}
            results = backend.apply(the_plan.changes, passwords)
        return the_plan, results, backend

    def edit_person(self, agency: str, person_id: str, **fields: Any) -> None:
        path = self.desired / "agencies" / f"{agency}.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for person in data["people"]:
            if person["id"] == person_id:
                person.update(fields)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def set_state(self, agency: str, person_id: str, state: str) -> None:
        self.edit_person(agency, person_id, state=state)

    def address(self, holder: str) -> str:
        return ledger.load_ledger(str(self.ledger_path)).holders()[holder]


def ldap_admin(lab: ObmLab):
    server = ldap3.Server(lab.ldap_host, port=lab.ldap_port, get_info=ldap3.SCHEMA, connect_timeout=5)
    return ldap3.Connection(server, lab.admin_dn, lab.admin_password, auto_bind=True)


def cyrus_admin(lab: ObmLab) -> imaplib.IMAP4:
    imap = imaplib.IMAP4(lab.imap_host, lab.imap_port)
    imap.login(lab.imap_admin, lab.imap_admin_password)
    return imap


def imap_ok(lab: ObmLab, address: str, password: str) -> bool:
    """Whether ``address`` can log in to the lab's Cyrus with ``password`` (through saslauthd)."""
    imap = imaplib.IMAP4(lab.imap_host, lab.imap_port)
    try:
        imap.login(address, password)
    except imaplib.IMAP4.error:
        return False
    imap.logout()
    return True


def mailboxes(lab: ObmLab, domain: str) -> set[str]:
    imap = cyrus_admin(lab)
    names: set[str] = set()
    for pattern in (f"user/*@{domain}", f"%@{domain}"):
        _typ, data = imap.list('""', f'"{pattern}"')
        names |= {line.decode().rsplit(" ", 1)[-1].strip('"') for line in data if line}
    imap.logout()
    return names


def entries(lab: ObmLab, domain: str) -> dict[str, dict[str, Any]]:
    conn = ldap_admin(lab)
    conn.search(
        f"dc={domain},{lab.base_dn}",
        "(|(objectClass=obmUser)(objectClass=obmMailShare))",
        attributes=["*", "pwdReset"],
    )
    found = {e["attributes"]["mail"][0]: dict(e["attributes"], dn=e["dn"]) for e in conn.response}
    conn.unbind()
    return found


def wait_lab_port(lab: ObmLab, port: int) -> None:
    for _ in range(100):
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((lab.imap_host, port)) == 0:
                return
        time.sleep(0.2)


def obm_lab_ctl(lab: ObmLab, *args: str) -> None:
    subprocess.run([str(lab.lab_dir / "bin" / "obm-lab"), *args], check=True, capture_output=True)


def remove_domain(lab: ObmLab, domain: str, base: str) -> None:
    """A test domain's mailboxes (delete_mode delayed keeps them under DELETED/ until cyr_expire),
    then its LDAP subtree ``base``; whatever is already gone is skipped."""
    with contextlib.suppress(Exception):
        obm_lab_ctl(lab, "start")
        imap = cyrus_admin(lab)
        for name in sorted(mailboxes(lab, domain), key=len, reverse=True):
            if name.count("/") <= 1:
                imap.setacl(f'"{name}"', lab.imap_admin, "x")
                imap.delete(f'"{name}"')
        imap.logout()
    with contextlib.suppress(Exception):
        conn = ldap_admin(lab)
        conn.search(base, "(objectClass=*)", attributes=["1.1"])
        for dn in sorted((e["dn"] for e in conn.response), key=len, reverse=True):
            conn.delete(dn)
        conn.unbind()


@contextlib.contextmanager
def obm_town(lab: ObmLab, tmp_path: Path) -> Iterator[City]:
    """A copy of the lab city, allocated into a fresh mail domain with its own LDAP subtree."""
    domain = f"t{uuid.uuid4().hex[:8]}.{lab.domain}"
    root = tmp_path / "lab"
    copy_lab_inventory(root)
    (root / "desired_state" / "ledger.yml").unlink(missing_ok=True)
    allocate_into(root / "desired_state", domain, datetime.date(2026, 11, 29))

    conn = ldap_admin(lab)
    base = add_obm_domain(conn, domain, lab.base_dn)
    conn.unbind()
    try:
        yield City(lab, root, domain)
    finally:
        remove_domain(lab, domain, base)


@pytest.fixture
def city(obm_lab: ObmLab, tmp_path: Path) -> Iterator[City]:
    with obm_town(obm_lab, tmp_path) as town:
        yield town
