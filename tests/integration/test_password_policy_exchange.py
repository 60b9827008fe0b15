"""danang.mail.password_policy on Exchange/AD (R-40…R-47): the backend against the Exchange lab, and
playbooks/password_policy.yml on both systems at once.

The three people of test_password_policy.py's town are reconciled into Exchange the project's way
(``ExchangeSystem``: ``New-Mailbox -ResetPasswordOnNextLogon $true``, the issue time recorded in
``CustomAttribute1``) in a mail domain and managed OU of their own. Time: the lab's control endpoint
writes ``pwdLastSet`` at any moment (a password changed 100 or 200 days ago), and rules are judged at
a later moment (ansible-playbook run with its clock moved, ``clock.at``). Nothing sleeps. Logons
are tried through the lab's EWS Basic authentication, which refuses disabled and must-change
accounts as AD does; the lab's raw LDAP binds check the password only (they prove which password an
account holds).
"""

from __future__ import annotations

import base64
import datetime
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from conftest import ExchangeLab

ldap3 = pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

from ansible.parsing.vault import VaultLib, VaultSecret  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import (  # noqa: E402
    accounts,
    allocation,
    desired_state,
    ledger,
    ledger_file,
    plan,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (  # noqa: E402
    ACCOUNTDISABLE,
    ADConnection,
    parse_issue_record,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import ExchangeConfig  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.system import ExchangeSystem  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.password_policy import (  # noqa: E402
    Holder,
    evaluate,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar  # noqa: E402
from exchange_city import TEST_OU_PREFIX, ad_admin, connection, remove_ou  # noqa: E402
from ldap3.utils.conv import escape_filter_chars  # noqa: E402
from test_password_policy import (  # noqa: E402
    AGENCY,
    VAULT_PASSWORD,
    Town,
    initial_password,
    own_password,
    town,  # noqa: F401 - the fixture
)

pytestmark = pytest.mark.integration

AN, BINH, CUONG = "CB-T-0001", "CB-T-0002", "CB-T-0003"


def config(lab: ExchangeLab, ou: str) -> ExchangeConfig:
    return ExchangeConfig(
        exchange=connection(lab),
        ad=ADConnection(
            uri=lab.ad_uri,
            bind_user=lab.admin_dn,
            password=lab.admin_password,
            base_dn=lab.base_dn,
            managed_ou=ou,
        ),
        databases=("DB01", "DB02"),
    )


def into_exchange(lab: ExchangeLab, desired: Path, domain: str) -> str:
    """Reconcile the desired state at ``desired`` into a fresh OU of the lab; the OU's DN."""
    ou = f"OU={TEST_OU_PREFIX}{uuid.uuid4().hex[:8]},{lab.managed_ou}"
    conn = ad_admin(lab)
    assert conn.add(ou, ["organizationalUnit"], {"ou": ou[3:].split(",", 1)[0]}), conn.result
    conn.unbind()
    transport = ExchangeTransport(connection(lab))
    transport.query(
        Invocation.of(
            "New-AcceptedDomain", {"Name": domain, "DomainName": domain, "DomainType": "Authoritative"}
        )
    )
    transport.close()
    state = desired_state.load_desired_state(desired)
    holders = ledger.load_ledger(str(desired / "ledger.yml")).holders()
    wanted, problems = accounts.desired_accounts(state, holders, system="exchange")
    assert not problems
    with ExchangeSystem(config(lab, ou)) as backend:
        the_plan = plan.make_plan(wanted, backend.read(), backend.render)
        results = backend.apply(
            the_plan.changes, {a.holder_id: initial_password(a.holder_id) for a in wanted.values()}
        )
    assert all(r.ok for r in results), results
    return ou


def ad_entry(lab: ExchangeLab, ou: str, address: str) -> dict[str, Any]:
    """The account's password attributes as single values (absent ones left out)."""
    conn = ad_admin(lab)
    conn.search(
        ou,
        f"(userPrincipalName={escape_filter_chars(address)})",
        attributes=["userAccountControl", "pwdLastSet", "extensionAttribute1", "extensionAttribute2"],
    )
    (entry,) = conn.response
    conn.unbind()
    values = {
        k: v[0] if isinstance(v, list) else v for k, v in entry["attributes"].items() if v not in ([], None)
    }
    return dict(values, dn=entry["dn"])


def ews_logon(lab: ExchangeLab, address: str, password: str) -> bool:
    """Whether EWS accepts ``address``/``password`` (Basic), as an Outlook client would try."""
    request = urllib.request.Request(f"{lab.base_url}/EWS/Exchange.asmx", data=b"", method="POST")
    token = base64.b64encode(f"{address}:{password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except urllib.error.HTTPError as err:
        return err.code != 401
    return True


def ldap_binds(lab: ExchangeLab, dn: str, password: str) -> bool:
    host, port = lab.ad_uri.removeprefix("ldap://").split(":")
    conn = ldap3.Connection(ldap3.Server(host, port=int(port)), dn, password)
    ok = conn.bind()
    conn.unbind()
    return ok


@pytest.fixture
def extown(exchange_lab: ExchangeLab, tmp_path: Path):
    """The three people in Exchange only: (lab, OU, holder id -> address)."""
    exchange_lab.control().reset_clock()
    domain = f"p{uuid.uuid4().hex[:8]}.{exchange_lab.domain}"
    desired = tmp_path / "desired_state"
    (desired / "agencies").mkdir(parents=True)
    (desired / "agencies" / "ptest.yml").write_text(AGENCY, encoding="utf-8")
    state = desired_state.load_desired_state(desired)
    book = ledger.load_ledger(str(desired / "ledger.yml"), new=True)
    done = allocation.allocate(
        state.address_requests(), book.entries, domain=domain, today=datetime.date(2026, 1, 5)
    )
    ledger_file.write_text_atomically(book.path, ledger.appended_text(book, done.entries))
    ou = into_exchange(exchange_lab, desired, domain)
    try:
        yield exchange_lab, ou, ledger.load_ledger(str(desired / "ledger.yml")).holders()
    finally:
        remove_ou(exchange_lab, ou)


def test_locks_disable_resets_unlock_and_force_a_change(extown) -> None:
    lab, ou, addresses = extown
    an, binh, cuong = (addresses[h] for h in (AN, BINH, CUONG))
    control = lab.control()
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    # Bình changed his password 100 days ago, Cường 200 days ago; An kept the initial one.
    control.simulate_password_change(binh, own_password(BINH), now - datetime.timedelta(days=100))
    control.simulate_password_change(cuong, own_password(CUONG), now - datetime.timedelta(days=200))
    # 20 days on: past An's 3 working days even across Tết.
    judged = now.astimezone(CITY_TIMEZONE) + datetime.timedelta(days=20)
    calendar = WorkingCalendar()
    holders = {addresses[h]: Holder(h, "ptest", "Sở Kiểm thử Mật khẩu") for h in (AN, BINH, CUONG)}

    def findings(backend: ExchangeSystem) -> dict[str, tuple[str, str | None]]:
        facts = backend.read_password_facts()
        assert set(facts) == {an, binh, cuong}
        found = evaluate(facts, now=judged, calendar=calendar, holders=holders)
        return {f.address: (f.action, f.reason) for f in found}

    with ExchangeSystem(config(lab, ou)) as backend:
        facts = backend.read_password_facts()
        assert facts[an].must_change and facts[an].issued_at is not None and facts[an].changed_at is None
        assert abs((facts[an].issued_at - now).total_seconds()) < 120  # recorded at creation
        assert facts[cuong].changed_at == now - datetime.timedelta(days=200)
        # 3 working days after issue: lock; 220 days: lock; 120 days: warn only.
        assert findings(backend) == {
            an: ("lock", "initial_password_unchanged"),
            binh: ("warn", "unchanged_3_months"),
            cuong: ("lock", "unchanged_6_months"),
        }
        assert all(r.ok for r in backend.lock([an, cuong]))

    for address in (an, cuong):
        entry = ad_entry(lab, ou, address)
        assert int(entry["userAccountControl"]) & ACCOUNTDISABLE
        assert entry["extensionAttribute2"].startswith("danang.mail password-policy-lock ")
    assert not ews_logon(lab, cuong, own_password(CUONG))  # disabled: no logon
    assert ews_logon(lab, binh, own_password(BINH))  # warned only

    # The mailbox reconcile leaves the locks alone (the desired state still wants them enabled).
    with ExchangeSystem(config(lab, ou)) as mailboxes:
        observed = mailboxes.read()
        assert observed[an].enabled and mailboxes.facts[an].locked
    # A second run finds them locked: nothing more to do.
    with ExchangeSystem(config(lab, ou)) as backend:
        assert findings(backend) == {
            an: ("locked", "initial_password_unchanged"),
            binh: ("warn", "unchanged_3_months"),
            cuong: ("locked", "unchanged_6_months"),
        }
        # An administrator's reset: new password, unlocked, must be changed at the next logon.
        new = "Nw7#kQ2-vLr9pXa"
        (result,) = backend.reset({an: new})
        assert result.ok, result
    entry = ad_entry(lab, ou, an)
    assert not int(entry["userAccountControl"]) & ACCOUNTDISABLE and "extensionAttribute2" not in entry
    assert int(entry["pwdLastSet"]) == 0
    issued = parse_issue_record(entry["extensionAttribute1"])
    assert issued is not None and abs((issued - now).total_seconds()) < 120
    assert ldap_binds(lab, entry["dn"], new) and not ldap_binds(lab, entry["dn"], initial_password(AN))
    assert not ews_logon(lab, an, new)  # the new password only lets him change it
    control.simulate_password_change(an, own_password(AN))
    assert ews_logon(lab, an, own_password(AN))
    with ExchangeSystem(config(lab, ou)) as backend:
        assert an not in findings(backend)


def run_both(place: Town, lab: ExchangeLab, ou: str, *extra: str, **variables: Any) -> tuple[str, dict]:
    return place.run(
        *extra,
        danang_mail_password_systems=["obm", "exchange"],
        exchange_ad_managed_ou=ou,
        **lab.playbook_vars,
        **variables,
    )


def test_the_daily_run_on_both_systems(town: Town, exchange_lab: ExchangeLab) -> None:  # noqa: F811
    exchange_lab.control().reset_clock()
    ou = into_exchange(exchange_lab, town.root / "inventory" / "desired_state", town.domain)
    try:
        an, binh, cuong = (town.addresses[h] for h in (AN, BINH, CUONG))
        for holder, address in ((BINH, binh), (CUONG, cuong)):  # they change theirs on both systems
            town.lab.simulate_password_change(address, own_password(holder))
            exchange_lab.control().simulate_password_change(address, own_password(holder))
        in_4_months = datetime.datetime.now(CITY_TIMEZONE).replace(microsecond=0) + datetime.timedelta(
            days=122
        )

        def rows(result: dict) -> dict[tuple[str, str], str]:
            return {(r["system"], r["address"]): r["action"] for r in result["accounts"]}

        expected = {(s, a): "warn" for s in ("obm", "exchange") for a in (binh, cuong)}
        expected |= {("obm", an): "lock", ("exchange", an): "lock", ("obm", town.stranger): "warn"}
        _out, audit = run_both(town, exchange_lab, ou, now=in_4_months, danang_mail_password_mode="audit")
        assert audit["changed"] is False and rows(audit) == expected
        assert not int(ad_entry(exchange_lab, ou, an)["userAccountControl"]) & ACCOUNTDISABLE

        _out, done = run_both(town, exchange_lab, ou, now=in_4_months)
        assert done["changed"] is True and done["summary"]["lock"] == 2 and done["summary"]["failed"] == 0
        assert {(r["system"], r["address"]) for r in done["report"]} == {("obm", an), ("exchange", an)}
        assert town.facts(an)["pwdAccountLockedTime"] == "000001010000Z"
        assert int(ad_entry(exchange_lab, ou, an)["userAccountControl"]) & ACCOUNTDISABLE
        markdown = (town.root / "reports" / f"password-report-{done['now'][:10]}.md").read_text("utf-8")
        assert "| Exchange |" in markdown and "| OBM |" in markdown

        _out, again = run_both(town, exchange_lab, ou, now=in_4_months)
        assert again["changed"] is False and again["summary"]["locked"] == 2

        # One reset, one new password for An on both systems, both unlocked, forced change.
        out, reset = run_both(town, exchange_lab, ou, danang_mail_password_resets=[AN])
        assert reset["changed"] is True and reset["credentials_issued"] == [AN]
        vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
        entry = yaml.safe_load(vault.decrypt(Path(reset["credentials_file"]).read_bytes()))[AN]
        assert sorted(entry["systems"]) == ["exchange", "obm"] and entry["password"] not in out
        assert town.facts(an) == {"pwdReset": "TRUE"} and town.bind(an, entry["password"])
        ad = ad_entry(exchange_lab, ou, an)
        assert not int(ad["userAccountControl"]) & ACCOUNTDISABLE and int(ad["pwdLastSet"]) == 0
        assert ldap_binds(exchange_lab, ad["dn"], entry["password"])
    finally:
        remove_ou(exchange_lab, ou)
