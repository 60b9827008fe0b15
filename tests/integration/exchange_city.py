"""A copy of the lab city in the Exchange lab, for the Exchange integration tests.

The ``city`` fixture allocates the lab city's desired state into its own mail domain
(``t<random>.danang.gov.vn``, made an accepted domain) and reconciles it into its own managed OU
under ``OU=DanangMail``, removed afterwards (Remove-Mailbox, so that Exchange frees the aliases at
once): tests run in any order, again and again, against one lab. Import the fixture with
``from exchange_city import city`` (``exchange_town`` is the same as a context manager).
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ldap3
import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils import (
    accounts,
    desired_state,
    ledger,
    plan,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import ADConnection
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import ExchangeConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.system import ExchangeSystem
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeConnection,
    ExchangeTransport,
)
from lab_city import allocate_into, copy_lab_inventory, password_for

if TYPE_CHECKING:
    from conftest import ExchangeLab

REPO = Path(__file__).resolve().parents[2]
TEST_OU_PREFIX = "itest-"


def connection(lab: ExchangeLab, **extra: Any) -> ExchangeConnection:
    return ExchangeConnection(
        server=lab.host,
        port=lab.port,
        path=lab.path,
        auth="basic",
        encryption="never",
        username=lab.admin_upn,
        password=lab.admin_password,
        timeout=30,
        **{"retries": 3, "backoff": 0.2, **extra},
    )


def ad_admin(lab: ExchangeLab):
    host, port = lab.ad_uri.removeprefix("ldap://").split(":")
    server = ldap3.Server(host, port=int(port), get_info=ldap3.NONE, connect_timeout=5)
    return ldap3.Connection(server, lab.admin_dn, lab.admin_password, auto_bind=True)


def remove_ou(lab: ExchangeLab, ou: str) -> None:
    """Remove-Mailbox for every mailbox of ``ou`` (the alias and addresses are free again at once, as
    in Exchange), then delete whatever else is left in it over LDAP, and the OU itself."""
    transport = ExchangeTransport(connection(lab))
    try:
        boxes = transport.query(
            Invocation.of("Get-Mailbox", {"ResultSize": "Unlimited", "OrganizationalUnit": ou})
        )
        transport.run(
            [
                Invocation.of("Remove-Mailbox", {"Identity": str(b["DistinguishedName"]), "Confirm": False})
                for b in boxes
            ]
        )
    finally:
        transport.close()
    conn = ad_admin(lab)
    conn.search(ou, "(objectClass=*)", attributes=["1.1"])
    for dn in sorted((e["dn"] for e in conn.response or []), key=len, reverse=True):
        conn.delete(dn)
    conn.unbind()


@dataclass
class City:
    lab: ExchangeLab
    root: Path
    domain: str
    ou: str

    @property
    def desired(self) -> Path:
        return self.root / "desired_state"

    @property
    def ledger_path(self) -> Path:
        return self.desired / "ledger.yml"

    def config(self, **connection_extra: Any) -> ExchangeConfig:
        lab = self.lab
        return ExchangeConfig(
            exchange=connection(lab, **connection_extra),
            ad=ADConnection(
                uri=lab.ad_uri,
                bind_user=lab.admin_dn,
                password=lab.admin_password,
                base_dn=lab.base_dn,
                managed_ou=self.ou,
            ),
            databases=("DB01", "DB02"),
        )

    def accounts(self, scope: tuple[str, ...] | None = None) -> dict[str, accounts.Account]:
        state = desired_state.load_desired_state(self.desired)
        found, problems = accounts.desired_accounts(
            state, ledger.load_ledger(str(self.ledger_path)).holders(), system="exchange", agencies=scope
        )
        assert not problems
        return found

    def reconcile(
        self,
        *,
        purge: bool = False,
        check: bool = False,
        scope: tuple[str, ...] | None = None,
        before_apply: Callable[[], None] | None = None,
        **connection_extra: Any,
    ) -> tuple[plan.Plan, list[Any], ExchangeSystem]:
        desired = self.accounts(scope)
        with ExchangeSystem(self.config(**connection_extra)) as backend:
            observed = backend.read()
            the_plan = plan.make_plan(desired, observed, backend.render, purge=purge)
            results: list[Any] = []
            if not check:
                passwords = {a.holder_id: password_for(a.holder_id) for a in desired.values() if not a.shared}
                if before_apply is not None:
                    before_apply()
                results = backend.apply(the_plan.changes, passwords)
        return the_plan, results, backend

    def edit_person(self, agency: str, person_id: str, **fields: Any) -> None:
        path = self.desired / "agencies" / f"{agency}.yml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for person in data["people"]:
            if person["id"] == person_id:
                person.update(fields)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    def address(self, holder: str) -> str:
        return ledger.load_ledger(str(self.ledger_path)).holders()[holder]

    def mailboxes(self) -> dict[str, dict[str, Any]]:
        """Get-Mailbox of the city's OU, by primary address (through a transport of our own)."""
        transport = ExchangeTransport(connection(self.lab))
        try:
            records = transport.query(
                Invocation.of("Get-Mailbox", {"ResultSize": "Unlimited", "OrganizationalUnit": self.ou})
            )
        finally:
            transport.close()
        return {str(r["PrimarySmtpAddress"]).lower(): r for r in records}

    def ad_users(self) -> dict[str, dict[str, Any]]:
        """The AD users of the city's OU, by userPrincipalName (or DN), read over LDAP."""
        conn = ad_admin(self.lab)
        conn.search(self.ou, "(objectClass=user)", attributes=["*"])
        found = {}
        for entry in conn.response:
            values = {
                k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in entry["attributes"].items()
            }
            found[str(values.get("userPrincipalName") or entry["dn"]).lower()] = {**values, "dn": entry["dn"]}
        conn.unbind()
        return found


@contextlib.contextmanager
def exchange_town(exchange_lab: ExchangeLab, tmp_path: Path) -> Iterator[City]:
    """A copy of the lab city, allocated into a fresh mail domain and managed OU."""
    tag = uuid.uuid4().hex[:8]
    domain = f"t{tag}.{exchange_lab.domain}"
    root = tmp_path / "lab"
    copy_lab_inventory(root)
    (root / "desired_state" / "ledger.yml").unlink(missing_ok=True)
    allocate_into(root / "desired_state", domain, datetime.date(2026, 11, 29))

    conn = ad_admin(exchange_lab)
    # Accounts left by an interrupted earlier session would hold the city's aliases (org-wide unique).
    conn.search(exchange_lab.managed_ou, f"(ou={TEST_OU_PREFIX}*)", ldap3.LEVEL, attributes=["1.1"])
    stale = [entry["dn"] for entry in conn.response or []]
    for dn in stale:
        remove_ou(exchange_lab, dn)
    ou = f"OU={TEST_OU_PREFIX}{tag},{exchange_lab.managed_ou}"
    assert conn.add(ou, ["organizationalUnit"], {"ou": f"{TEST_OU_PREFIX}{tag}"}), conn.result
    conn.unbind()
    transport = ExchangeTransport(connection(exchange_lab))
    transport.query(
        Invocation.of(
            "New-AcceptedDomain", {"Name": domain, "DomainName": domain, "DomainType": "Authoritative"}
        )
    )
    transport.close()
    try:
        yield City(exchange_lab, root, domain, ou)
    finally:
        try:
            exchange_lab.control().clear_faults()
        finally:
            remove_ou(exchange_lab, ou)


@pytest.fixture
def city(exchange_lab: ExchangeLab, tmp_path: Path) -> Iterator[City]:
    with exchange_town(exchange_lab, tmp_path) as town:
        yield town
