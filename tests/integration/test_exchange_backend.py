"""The Exchange backend against the Exchange lab with the real clients (issue 5, section 5).

pypsrp speaks PSRP to the lab's WS-Management endpoint and ldap3 speaks LDAP to its AD stand-in;
nothing of the project is mocked. Every test reconciles its own copy of the lab city, allocated
into its own mail domain (``t<random>.danang.gov.vn``, an accepted domain made for it) and its own
managed OU under ``OU=DanangMail``, and deletes both afterwards: the tests run in any order, again
and again, against one lab.
"""

from __future__ import annotations

import datetime
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from conftest import ExchangeLab

ldap3 = pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

from ansible_collections.danang.mail.plugins.module_utils import (  # noqa: E402
    accounts,
    allocation,
    desired_state,
    ledger,
    plan,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import (  # noqa: E402
    ExchangeBackend,
    ExchangeConfig,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange_ad import (  # noqa: E402
    ACCOUNTDISABLE,
    ADConnection,
    parse_issue_record,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange_transport import (  # noqa: E402
    SWITCH,
    ExchangeConnection,
    ExchangeTransport,
    Invocation,
)

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TEST_OU_PREFIX = "itest-"


def password_for(holder: str) -> str:
    """A distinct R-42 password per holder, known to the test (the module draws random ones)."""
    return f"Kt-{uuid.uuid5(uuid.NAMESPACE_URL, holder).hex[:10]}#A9"


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
            batch_size=connection_extra.get("batch_size", 50),
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
    ) -> tuple[plan.Plan, list[Any], ExchangeBackend]:
        desired = self.accounts(scope)
        with ExchangeBackend(self.config(**connection_extra)) as backend:
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


@pytest.fixture
def city(exchange_lab: ExchangeLab, tmp_path: Path):
    """A copy of the lab city, allocated into a fresh mail domain and managed OU."""
    tag = uuid.uuid4().hex[:8]
    domain = f"t{tag}.{exchange_lab.domain}"
    root = tmp_path / "lab"
    shutil.copytree(REPO / "inventories" / "lab", root)
    (root / "desired_state" / "ledger.yml").unlink(missing_ok=True)
    state = desired_state.load_desired_state(root / "desired_state")
    book = ledger.load_ledger(str(root / "desired_state" / "ledger.yml"))
    allocated = allocation.allocate(
        state.address_requests(), book.entries, domain=domain, today=datetime.date(2026, 11, 29)
    )
    ledger.append_entries(book, allocated.entries)

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
    yield City(exchange_lab, root, domain, ou)

    exchange_lab.control().clear_faults()
    remove_ou(exchange_lab, ou)


# --- first run, second run, check mode ------------------------------------------------------------
def test_first_run_creates_second_run_changes_nothing(city: City) -> None:
    first, results, _ = city.reconcile()
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    desired = city.accounts()
    counts = first.count()
    assert counts["create"] == sum(1 for a in desired.values() if a.state != "removed") > 50

    mailboxes = city.mailboxes()
    users = city.ad_users()
    dung = city.address("CB-2017-000101")
    box = mailboxes[dung]
    assert box["RecipientTypeDetails"] == "UserMailbox"
    assert box["Name"] == f"Nguyễn Văn Dũng ({dung.split('@')[0]})"
    assert box["DisplayName"] == "Nguyễn Văn Dũng" and box["Alias"] == dung.split("@")[0]
    assert box["UserPrincipalName"] == dung
    assert str(box["UseDatabaseQuotaDefaults"]) == "False"
    assert str(box["ProhibitSendReceiveQuota"]).startswith("2 GB")
    assert str(box["MaxSendSize"]).startswith("28 MB") and str(box["MaxReceiveSize"]).startswith("28 MB")
    assert box["Database"] in ("DB01", "DB02")
    issued = parse_issue_record(box["CustomAttribute1"])
    assert issued is not None

    user = users[dung]
    assert user["givenName"] == "Dũng" and user["sn"] == "Nguyễn Văn"
    assert int(user["pwdLastSet"]) == 0  # must change at first logon
    assert not int(user["userAccountControl"]) & ACCOUNTDISABLE
    assert len(user["sAMAccountName"]) <= 20

    agency = mailboxes[city.address("agency/stttt")]
    assert agency["RecipientTypeDetails"] == "SharedMailbox"
    assert agency["DisplayName"] == "Sở Thông tin và Truyền thông"
    databases = {b["Database"] for b in mailboxes.values()}
    assert databases == {"DB01", "DB02"}

    disabled = city.address("CB-2019-000318")
    assert int(users[disabled]["userAccountControl"]) & ACCOUNTDISABLE
    assert disabled in mailboxes  # kept

    second, results, _ = city.reconcile()
    assert second.changes == () and results == []


def test_check_mode_shows_the_plan_and_changes_nothing(city: City) -> None:
    planned, results, _ = city.reconcile(check=True)
    assert results == [] and city.mailboxes() == {}
    assert planned.count()["create"] > 50
    change = next(c for c in planned.changes if c.address == city.address("CB-2017-000101"))
    assert change.after["display_name"] == "Nguyễn Văn Dũng"
    assert password_for("CB-2017-000101") not in repr(planned)  # a plan never holds a password

    city.reconcile()
    city.edit_person("stttt", "CB-2017-000101", state="disabled")
    planned, results, _ = city.reconcile(check=True)
    assert [(c.address, c.action) for c in planned.changes] == [(city.address("CB-2017-000101"), "disable")]
    user = city.ad_users()[city.address("CB-2017-000101")]
    assert not int(user["userAccountControl"]) & ACCOUNTDISABLE


# --- names are data ---------------------------------------------------------------------------------
def test_apostrophes_in_names_arrive_literally(city: City) -> None:
    """Names that pass validation yet carry apostrophes (U+0027, U+2019) travel as typed values."""
    city.edit_person("stttt", "CB-2017-000101", full_name="Nguyễn Văn Y\u2019Dũng")
    _plan, results, _ = city.reconcile(scope=("stttt",))
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    dung = city.address("CB-2017-000101")
    maryam = city.address("CB-2018-000212")
    boxes, users = city.mailboxes(), city.ad_users()
    assert boxes[dung]["DisplayName"] == "Nguyễn Văn Y\u2019Dũng"
    assert (
        users[dung]["displayName"] == "Nguyễn Văn Y\u2019Dũng" and users[dung]["givenName"] == "Y\u2019Dũng"
    )
    assert boxes[maryam]["DisplayName"] == "H'Maryam Niê" and users[maryam]["givenName"] == "H'Maryam"
    second, _results, _ = city.reconcile(scope=("stttt",))
    assert second.changes == ()


NASTY = "Tên \"x\"; $(Remove-Mailbox -Identity *) `whoami` \u2018q\u2019 'a' @{b=1}"


def test_quotes_and_powershell_syntax_in_raw_cmdlet_calls_are_data(city: City) -> None:
    alias = f"nasty{uuid.uuid4().hex[:6]}"
    address = f"{alias}@{city.domain}"
    display = NASTY + "\nsecond line"
    transport = ExchangeTransport(connection(city.lab))
    try:
        outcomes = transport.run(
            [
                Invocation.of(
                    "New-Mailbox",
                    {
                        "Shared": SWITCH,
                        "Name": NASTY[:64],
                        "Alias": alias,
                        "DisplayName": display,
                        "PrimarySmtpAddress": address,
                        "OrganizationalUnit": city.ou,
                    },
                    address,
                ),
                Invocation.of("Set-Mailbox", {"Identity": address, "CustomAttribute1": NASTY}, address),
            ]
        )
        assert [o.status for o in outcomes] == ["ok", "ok"], outcomes
        [box] = transport.query(Invocation.of("Get-Mailbox", {"Identity": address}))
    finally:
        transport.close()
    assert box["Name"] == NASTY[:64] and box["DisplayName"] == display and box["CustomAttribute1"] == NASTY
    user = next(u for u in city.ad_users().values() if u.get("mailNickname") == alias)
    assert user["displayName"] == display and user["cn"] == NASTY[:64]
    assert len(city.mailboxes()) == 1  # nothing else was created or removed


# --- disable, enable, purge -------------------------------------------------------------------------
def test_disable_keeps_the_mailbox_enable_reverses_purge_removes_only_disabled(city: City) -> None:
    scope = ("stttt",)
    city.reconcile(scope=scope)
    dung, nam = city.address("CB-2017-000101"), city.address("CB-2017-000103")

    city.edit_person("stttt", "CB-2017-000101", state="disabled")
    changes, results, _ = city.reconcile(scope=scope)
    assert [(c.address, c.action) for c in changes.changes] == [(dung, "disable")] and results[0].ok
    assert int(city.ad_users()[dung]["userAccountControl"]) & ACCOUNTDISABLE
    assert dung in city.mailboxes()  # the mailbox and its mail stay

    city.edit_person("stttt", "CB-2017-000101", state="active")
    changes, results, _ = city.reconcile(scope=scope)
    assert [(c.address, c.action) for c in changes.changes] == [(dung, "enable")] and results[0].ok
    assert not int(city.ad_users()[dung]["userAccountControl"]) & ACCOUNTDISABLE

    city.edit_person("stttt", "CB-2017-000103", state="removed")
    changes, results, _ = city.reconcile(scope=scope, purge=True)
    assert [(c.address, c.action) for c in changes.changes] == [(nam, "disable")]  # never deleted at once
    assert nam in city.mailboxes()
    changes, results, _ = city.reconcile(scope=scope, purge=True)
    assert [(c.address, c.action) for c in changes.changes] == [(nam, "remove")] and results[0].ok
    assert nam not in city.mailboxes() and nam not in city.ad_users()
    assert dung in city.mailboxes()
    last, _results, _ = city.reconcile(scope=scope, purge=True)
    assert last.changes == ()


# --- faults -----------------------------------------------------------------------------------------
FAULTS = {
    "connection dropped mid-batch": {"drop_next_pipeline": True},
    "5th New-Mailbox fails": {"fail_nth_cmdlet": 5, "fail_cmdlet": "New-Mailbox"},
    "7th Set-Mailbox fails": {"fail_nth_cmdlet": 7, "fail_cmdlet": "Set-Mailbox"},
    "throttled": {"max_cmdlets": 25, "period_seconds": 2},
}


@pytest.mark.parametrize("fault", FAULTS, ids=list(FAULTS))
def test_fault_leaves_a_state_a_rerun_completes(city: City, fault: str) -> None:
    scope = ("stttt", "stc")
    control = city.lab.control()
    first, results, backend = city.reconcile(
        scope=scope, batch_size=10, before_apply=lambda: control.inject_fault(**FAULTS[fault])
    )
    control.clear_faults()
    desired = city.accounts(scope)
    boxes = city.mailboxes()
    # Consistent: nothing outside the plan, every person made holds a recorded password.
    assert set(boxes) <= set(desired)
    persons = {a for a, acc in desired.items() if not acc.shared}
    assert persons & set(boxes) <= backend.password_set
    failed = [r for r in results if not r.ok]
    if fault == "throttled":  # the transport waits as Exchange asks and sends again: most done at once
        assert len(failed) * 4 < len(first.changes), failed
    second, results, _ = city.reconcile(scope=scope)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert len(second.changes) <= len(failed)
    third, _results, _ = city.reconcile(scope=scope)
    assert third.changes == ()
    assert set(city.mailboxes()) == {a for a, acc in desired.items() if acc.state != "removed"}
