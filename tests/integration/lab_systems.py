# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both mail systems behind one face, for the contract tests (``test_backend_contract.py``).

``system`` (parametrised ``obm``, ``exchange``) is a fresh copy of the lab city in that system's lab
(``obm_city.obm_town``, ``exchange_city.exchange_town``) with the module options that reach it
(``params``). The contract tests open every backend here (``open_system``), the way the modules
open one, so they speak the public interface of a mail system and nothing else. The few things a test
does behind the backend's back (an account made by hand, another holder's id, an object in the way)
are each system's own and live in its class below.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import exchange_city
import ldap3
import obm_city
import pytest
from ansible_collections.danang.mail.plugins.module_utils import accounts, plan
from ansible_collections.danang.mail.plugins.module_utils.backends import systems
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import AccountFacts
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    Invocation,
    Secret,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport

REPO = Path(__file__).resolve().parents[2]
SYSTEMS = ("obm", "exchange")
SCOPE = ("stttt",)  # one agency: persons, departments, the agency mailbox, disabled and removed people
# Not containing a token of the hand-made accounts' names ("Made by hand ..."): AD refuses that.
HAND_PASSWORD = "Nhap-Tay#Pass-42!"
# What mailbox_info reports of every account on every system: the contract's
# facts type (its own unit test pins the names), whatever each system adds.
COMMON_FACT_KEYS = frozenset(f.name for f in dataclasses.fields(AccountFacts)) - {"address", "own"}


def open_system(params: Mapping[str, Any]) -> Any:
    """The system ``params["backend"]`` names, opened as every module opens it."""
    return systems.open_system(params)


def read_facts(backend: Any) -> dict[str, dict[str, Any]]:
    """``read()`` and the facts per address as plain dicts, as mailbox_info reports them."""
    return systems.read_facts(backend)


@dataclass(frozen=True)
class Run:
    plan: plan.Plan
    results: list[Any]
    password_set: set[str] = field(default_factory=set)


@dataclass
class System:
    """A copy of the lab city on one system; ``city`` is ``obm_city.City`` or ``exchange_city.City``."""

    name: str
    city: Any
    params: dict[str, Any]
    refusal = ""  # what the system says when an object is in the way of a new account

    @property
    def domain(self) -> str:
        return self.city.domain

    @property
    def desired(self) -> Path:
        return self.city.desired

    @property
    def ledger_path(self) -> Path:
        return self.city.ledger_path

    def address(self, holder: str) -> str:
        return self.city.address(holder)

    def edit_person(self, agency: str, person_id: str, **fields: Any) -> None:
        self.city.edit_person(agency, person_id, **fields)

    def accounts(self) -> dict[str, accounts.Account]:
        return self.city.accounts(SCOPE)

    @contextmanager
    def open(self) -> Iterator[Any]:
        backend = open_system(self.params)
        try:
            yield backend
        finally:
            backend.close()

    def reconcile(self, *, purge: bool = False, check: bool = False) -> Run:
        """Read, plan and (unless ``check``) apply the scope's accounts, as danang.mail.mailbox does."""
        desired = self.accounts()
        with self.open() as backend:
            the_plan = plan.make_plan(desired, backend.read(), backend.render, purge=purge)
            if check:
                return Run(the_plan, [])
            results = backend.apply(the_plan.changes, passwords(desired))
            return Run(the_plan, results, set(backend.password_set))

    def facts(self) -> dict[str, dict[str, Any]]:
        with self.open() as backend:
            return read_facts(backend)

    # --- behind the backend's back: each system's own ------------------------------------------
    def hand_made(self, address: str) -> None:
        """An account made by hand at ``address``, as an operator would (no holder id)."""
        raise NotImplementedError

    def raw(self, address: str) -> Any:
        """Everything the system holds about the account at ``address`` (to prove it untouched)."""
        raise NotImplementedError

    def give_to_someone_else(self, address: str, holder: str) -> None:
        """Store another holder id (and another display name and password) on the account."""
        raise NotImplementedError

    def forget_holder(self, address: str) -> None:
        """Leave the account as a version that stored no holder ids left it."""
        raise NotImplementedError

    @contextmanager
    def in_the_way(self, address: str) -> Iterator[None]:
        """An object outside the managed accounts that makes the creation of ``address`` fail."""
        raise NotImplementedError
        yield


def passwords(desired: Mapping[str, accounts.Account]) -> dict[str, str]:
    """One known initial password per person (the module draws random ones)."""
    return {a.holder_id: obm_city.password_for(a.holder_id) for a in desired.values() if not a.shared}


class ObmSystem(System):
    refusal = "entryAlreadyExists"

    def _dn(self, address: str) -> str:
        return f"uid={address.partition('@')[0]},ou=users,{self.city.domain_dn}"

    def _modify(self, dn: str, changes: dict[str, Any]) -> None:
        conn = obm_city.ldap_admin(self.city.lab)
        assert conn.modify(dn, changes), conn.result
        conn.unbind()

    def hand_made(self, address: str) -> None:
        local = address.partition("@")[0]
        conn = obm_city.ldap_admin(self.city.lab)
        assert conn.add(
            self._dn(address),
            ["posixAccount", "shadowAccount", "inetOrgPerson", "obmUser"],
            {
                "uid": local,
                "cn": "Made by hand",
                "sn": "hand",
                "uidNumber": "4242",
                "gidNumber": "1000",
                "homeDirectory": f"/home/{local}",
                "mail": address,
                "mailBox": address,
                "mailAccess": "PERMIT",
                "userPassword": HAND_PASSWORD,
            },
        ), conn.result
        conn.unbind()

    def raw(self, address: str) -> Any:
        return obm_city.entries(self.city.lab, self.domain).get(address)

    def give_to_someone_else(self, address: str, holder: str) -> None:
        self._modify(
            self.raw(address)["dn"],
            {
                "employeeNumber": [(ldap3.MODIFY_REPLACE, [holder])],
                "displayName": [(ldap3.MODIFY_REPLACE, ["Someone else"])],
                "userPassword": [(ldap3.MODIFY_REPLACE, [HAND_PASSWORD])],
            },
        )

    def forget_holder(self, address: str) -> None:
        entry = self.raw(address)
        changes: dict[str, Any] = {"employeeNumber": [(ldap3.MODIFY_DELETE, [])]}
        if "obmMailShare" in entry["objectClass"]:  # the old mailshares had no extensibleObject
            changes["objectClass"] = [(ldap3.MODIFY_DELETE, ["extensibleObject"])]
        self._modify(entry["dn"], changes)

    @contextmanager
    def in_the_way(self, address: str) -> Iterator[None]:
        # An entry at the account's DN without an address: read() does not see it, the add is refused.
        dn = self._dn(address)
        conn = obm_city.ldap_admin(self.city.lab)
        assert conn.add(dn, ["account"], {"uid": address.partition("@")[0]}), conn.result
        try:
            yield
        finally:
            assert conn.delete(dn), conn.result
            conn.unbind()


class ExchangeSystem(System):
    refusal = "is already being used"

    def _cmdlets(self, *invocations: Invocation) -> None:
        transport = ExchangeTransport(exchange_city.connection(self.city.lab))
        try:
            outcomes = transport.run(list(invocations))
        finally:
            transport.close()
        assert [o.status for o in outcomes] == ["ok"] * len(invocations), outcomes

    def _new_mailbox(self, address: str, ou: str) -> None:
        alias = f"hand{uuid.uuid4().hex[:8]}"
        self._cmdlets(
            Invocation.of(
                "New-Mailbox",
                {
                    "Name": f"Made by hand {alias}",
                    "Alias": alias,
                    "UserPrincipalName": f"{alias}@{self.domain}",
                    "PrimarySmtpAddress": address,
                    "Password": Secret(HAND_PASSWORD),
                    "OrganizationalUnit": ou,
                },
                address,
            )
        )

    def hand_made(self, address: str) -> None:
        self._new_mailbox(address, self.city.ou)

    def raw(self, address: str) -> Any:
        box = self.city.mailboxes().get(address)
        if box is None:
            return None
        users = {str(u["dn"]).lower(): u for u in self.city.ad_users().values()}
        return {"mailbox": box, "user": users.get(str(box["DistinguishedName"]).lower())}

    def give_to_someone_else(self, address: str, holder: str) -> None:
        self._cmdlets(
            Invocation.of(
                "Set-Mailbox",
                {"Identity": address, "CustomAttribute3": holder, "DisplayName": "Someone else"},
                address,
            )
        )

    def forget_holder(self, address: str) -> None:
        self._cmdlets(Invocation.of("Set-Mailbox", {"Identity": address, "CustomAttribute3": ""}, address))

    @contextmanager
    def in_the_way(self, address: str) -> Iterator[None]:
        # A mailbox outside the city's managed OU holding the address: Exchange refuses the new one.
        self._new_mailbox(address, self.city.lab.managed_ou)
        try:
            yield
        finally:
            self._cmdlets(Invocation.of("Remove-Mailbox", {"Identity": address, "Confirm": False}, address))


def obm_params(city: obm_city.City) -> dict[str, Any]:
    lab = city.lab
    return {
        "backend": "obm",
        "ldap_uri": f"ldap://{lab.ldap_host}:{lab.ldap_port}",
        "ldap_bind_dn": lab.admin_dn,
        "ldap_bind_password": lab.admin_password,
        "ldap_base_dn": lab.base_dn,
        "imap_host": lab.imap_host,
        "imap_port": lab.imap_port,
        "imap_admin": lab.imap_admin,
        "imap_admin_password": lab.imap_admin_password,
        "ca_file": lab.ca_file,
        "domain": city.domain,
        "mailbox_server": f"lmtp:{lab.imap_host}:{lab.lmtp_port}",
        "smtp_host": lab.smtp_host,
        "smtp_port": lab.smtp_port,
    }


def exchange_params(city: exchange_city.City) -> dict[str, Any]:
    lab = city.lab
    return {
        "backend": "exchange",
        "exchange_server": lab.host,
        "exchange_port": lab.port,
        "exchange_path": lab.path,
        "exchange_auth": "basic",
        "exchange_encryption": "never",
        "exchange_username": lab.admin_upn,
        "exchange_password": lab.admin_password,
        "exchange_databases": ["DB01", "DB02"],
        "exchange_timeout": 30,
        "ad_uri": lab.ad_uri,
        "ad_bind_user": lab.admin_dn,
        "ad_bind_password": lab.admin_password,
        "ad_base_dn": lab.base_dn,
        "ad_managed_ou": city.ou,
    }


@pytest.fixture(params=SYSTEMS)
def system(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[System]:
    """A fresh copy of the lab city on each system in turn, with nothing reconciled yet."""
    if request.param == "obm":
        with obm_city.obm_town(request.getfixturevalue("obm_lab"), tmp_path) as town:
            yield ObmSystem("obm", town, obm_params(town))
    else:
        with exchange_city.exchange_town(request.getfixturevalue("exchange_lab"), tmp_path) as town:
            yield ExchangeSystem("exchange", town, exchange_params(town))


def run_adhoc(params: Mapping[str, Any], module: str, args: Mapping[str, Any], *extra: str) -> dict[str, Any]:
    """``ansible localhost -m danang.mail.<module>`` with a system's options; its JSON result."""
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
    )
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible")),
            "localhost",
            "-c",
            "local",
            "-m",
            f"danang.mail.{module}",
            "-a",
            json.dumps({**params, **args}),
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # "localhost | SUCCESS => {...}" (CHANGED / FAILED! alike), after any --diff output
    tail = proc.stdout.rpartition("localhost | ")[2]
    return json.JSONDecoder().raw_decode(tail[tail.index("{") :])[0]
