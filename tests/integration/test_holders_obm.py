"""Never a person someone else's mailbox, on the OBM lab.

An account that exists at an address before this project issues it (made by hand, left by a former
holder, unmanaged) is never handed to a new person: allocation skips every address in use on the
system, and the plan never adopts an account whose stored holder (``employeeNumber``) is missing or
different - it reports a conflict, leaves that account as it is, and reconciles the others.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

ldap3 = pytest.importorskip("ldap3")

import test_obm_backend  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import ledger, plan  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm import ObmBackend  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE  # noqa: E402
from lab_city import add_person, allocate_into  # noqa: E402
from test_obm_backend import City, entries, ldap_admin, run_adhoc  # noqa: E402

city = test_obm_backend.city  # the fixture

pytestmark = pytest.mark.integration

DAY = datetime.date(2026, 11, 29)  # the city fixture's issue date
HAND_PASSWORD = "Hand-Made-Pass-42!"
NEWCOMER = {
    "id": "CB-2099-000001",
    "full_name": "Khổng Minh Triết",
    "department": "cntt",
    "requested_on": "2026-11-29",
}


def hand_made(city: City, local: str) -> str:
    """An account made by hand at ``local@<domain>``, as an operator would (no holder id)."""
    dn = f"uid={local},ou=users,{city.domain_dn}"
    conn = ldap_admin(city.lab)
    assert conn.add(
        dn,
        ["posixAccount", "shadowAccount", "inetOrgPerson", "obmUser"],
        {
            "uid": local,
            "cn": "Made by hand",
            "sn": "hand",
            "uidNumber": "4242",
            "gidNumber": "1000",
            "homeDirectory": f"/home/{local}",
            "mail": f"{local}@{city.domain}",
            "mailBox": f"{local}@{city.domain}",
            "mailAccess": "PERMIT",
            "userPassword": HAND_PASSWORD,
        },
    ), conn.result
    conn.unbind()
    return dn


def binds(city: City, dn: str, password: str) -> bool:
    server = ldap3.Server(city.lab.ldap_host, port=city.lab.ldap_port, connect_timeout=5)
    conn = ldap3.Connection(server, dn, password)
    try:
        return bool(conn.bind())
    finally:
        conn.unbind()


def test_holders_a_hand_made_account_at_the_next_address_gives_the_newcomer_the_next_number(
    city: City,
) -> None:
    hand_dn = hand_made(city, "trietkm")
    add_person(city.desired, "stttt", NEWCOMER)
    in_use = run_adhoc(city, "addresses_in_use", {})
    assert f"trietkm@{city.domain}" in in_use["addresses"] and in_use["changed"] is False
    allocate_into(city.desired, city.domain, DAY, taken=in_use["addresses"])
    assert city.address(NEWCOMER["id"]) == f"trietkm1@{city.domain}"

    the_plan, results, _backend = city.reconcile()
    assert all(r.ok for r in results) and the_plan.conflicts == ()
    found = entries(city.lab, city.domain)
    assert found[f"trietkm1@{city.domain}"]["employeeNumber"] == NEWCOMER["id"]
    hand = found[f"trietkm@{city.domain}"]
    assert hand["dn"] == hand_dn and "employeeNumber" not in hand and hand["cn"] == ["Made by hand"]
    assert binds(city, hand_dn, HAND_PASSWORD)  # still the hand-made account, with its password


def test_holders_conflicts_are_reported_left_untouched_and_the_others_reconciled(
    city: City, tmp_path: Path
) -> None:
    city.reconcile()
    # Another holder's account at a ledger address: the stored holder differs.
    theirs = city.address("CB-2017-000101")
    conn = ldap_admin(city.lab)
    dn = entries(city.lab, city.domain)[theirs]["dn"]
    assert conn.modify(
        dn,
        {
            "employeeNumber": [(ldap3.MODIFY_REPLACE, ["CB-1999-000999"])],
            "displayName": [(ldap3.MODIFY_REPLACE, ["Someone else"])],
            "userPassword": [(ldap3.MODIFY_REPLACE, [HAND_PASSWORD])],
        },
    ), conn.result
    conn.unbind()
    # A newcomer allocated in this run (the operator skipped the read of addresses in use) whose
    # address already holds an account without any holder.
    add_person(city.desired, "stttt", NEWCOMER)
    allocate_into(city.desired, city.domain, DAY)
    newcomer = city.address(NEWCOMER["id"])
    hand_dn = hand_made(city, newcomer.partition("@")[0])
    # And an ordinary change the run must still carry out.
    city.set_state("stttt", "CB-2017-000103", "disabled")
    other = city.address("CB-2017-000103")
    before = entries(city.lab, city.domain)

    vault = tmp_path / "vault-password"
    vault.write_text("lab-only-vault-password\n", encoding="utf-8")
    args = {
        "desired_state": str(city.desired),
        "ledger": str(city.ledger_path),
        "allocated": [newcomer],
        "mailbox_server": f"lmtp:{city.lab.imap_host}:{city.lab.lmtp_port}",
        "credentials_file": str(tmp_path / "credentials.vault.yml"),
    }
    preview = run_adhoc(city, "mailbox", args, "--check", "--diff", "--vault-password-file", str(vault))
    # The callback drops "failed" from what it prints; the module's failure message is there.
    assert "2 account(s) in conflict, left untouched (the others were planned)" in preview["msg"], preview
    assert {c["address"]: c["stored_holder"] for c in preview["conflicts"]} == {
        theirs: "CB-1999-000999",
        newcomer: None,
    }
    assert [(row["action"], row["address"]) for row in preview["plan"]] == [("disable", other)]
    assert entries(city.lab, city.domain) == before  # check mode changed nothing

    result = run_adhoc(city, "mailbox", args, "--vault-password-file", str(vault))
    assert "2 account(s) in conflict, left untouched (the others were reconciled)" in result["msg"], result
    assert result["summary"]["conflict"] == 2
    assert theirs in result["msg"] and "CB-1999-000999" in result["msg"] and "CB-2017-000101" in result["msg"]
    assert [(r["address"], r["ok"]) for r in result["results"]] == [(other, True)]  # the others proceed
    after = entries(city.lab, city.domain)
    assert after[theirs] == before[theirs] and after[newcomer] == before[newcomer]  # untouched
    assert after[other]["mailAccess"] == "REJECT"
    assert binds(city, dn, HAND_PASSWORD) and binds(city, hand_dn, HAND_PASSWORD)


def test_holders_legacy_accounts_without_holder_are_adopted_and_stamped(city: City) -> None:
    """Accounts this project made before it stored holder ids (person and shared mailbox)."""
    city.reconcile()
    person, share = city.address("CB-2017-000101"), city.address("agency/stttt")
    conn = ldap_admin(city.lab)
    found = entries(city.lab, city.domain)
    # As the previous version left them: no holder id, and a mailshare without extensibleObject.
    assert conn.modify(found[person]["dn"], {"employeeNumber": [(ldap3.MODIFY_DELETE, [])]}), conn.result
    assert conn.modify(
        found[share]["dn"],
        {
            "employeeNumber": [(ldap3.MODIFY_DELETE, [])],
            "objectClass": [(ldap3.MODIFY_DELETE, ["extensibleObject"])],
        },
    ), conn.result
    conn.unbind()

    desired = city.accounts()
    book = ledger.load_ledger(str(city.ledger_path))
    issued = {entry.address: entry.issued_on for entry in book.entries}
    with ObmBackend(city.config()) as backend:
        observed = backend.read()
        assert observed[person].holder is None and observed[person].created is not None
        # Made on a city day before the ledger issued the address: someone else's.
        late = {**issued, person: observed[person].created.date() + datetime.timedelta(days=2)}
        early = plan.make_plan(desired, observed, backend.render, issued_on=late)
        assert [c.address for c in early.conflicts] == [person]
        # Issued on the city day the account was made (the latest that still proves it ours): the
        # dates come from the directory, never from the test machine's clock.
        made = {a: observed[a].created.astimezone(CITY_TIMEZONE).date() for a in (person, share)}
        issued = {**issued, **made}
        adopt = plan.make_plan(desired, observed, backend.render, issued_on=issued)
        assert adopt.conflicts == ()
        assert sorted((c.address, c.action, dict(c.after)) for c in adopt.changes) == [
            (person, "update", {"employeeNumber": "CB-2017-000101"}),
            (share, "update", {"employeeNumber": "agency/stttt"}),
        ]
        assert all(r.ok for r in backend.apply(adopt.changes, {})), "stamping failed"
    found = entries(city.lab, city.domain)
    assert found[person]["employeeNumber"] == "CB-2017-000101"
    assert found[share]["employeeNumber"] == "agency/stttt"
    with ObmBackend(city.config()) as backend:
        assert plan.make_plan(desired, backend.read(), backend.render, issued_on=issued).changes == ()
