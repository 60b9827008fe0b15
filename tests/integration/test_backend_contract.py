# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every mail system promises (R-02), proved once against both labs: OBM (slapd + Cyrus) and
the Exchange lab (PSRP + its AD stand-in), with the real clients and nothing of the project mocked.

Each test gets ``system`` (``lab_systems``): a fresh copy of the lab city on one system, opened only
through the interface the modules use. What is particular to one system (its directory layout, its
clients, its faults) is proved in ``test_obm_backend.py`` and ``test_exchange_backend.py``.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import lab_systems
from ansible_collections.danang.mail.plugins.module_utils import ledger, plan
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from lab_city import add_person, allocate_into
from lab_systems import COMMON_FACT_KEYS, System, passwords, run_adhoc

pytestmark = pytest.mark.integration
system = lab_systems.system  # the fixture

DAY = datetime.date(2026, 11, 29)  # the day the town's ledger issued its addresses
PERSON, COLLEAGUE, OTHER = "CB-2017-000101", "CB-2017-000102", "CB-2017-000103"
AGENCY = "agency/stttt"  # the agency's shared mailbox
BORN_DISABLED = "CB-2019-000318"  # state: disabled from the start
NEWCOMER = {
    "id": "CB-2099-000001",
    "full_name": "Khổng Minh Triết",
    "department": "cntt",
    "requested_on": "2026-11-29",
}


def actions(run: lab_systems.Run) -> list[tuple[str, str]]:
    return [(c.action, c.address) for c in run.plan.changes]


def test_first_run_creates_what_render_says_facts_alike_no_password_second_run_nothing(
    system: System,
) -> None:
    preview = system.reconcile(check=True)
    assert preview.plan.count()["create"] > 10 and system.facts() == {}  # a plan alone changes nothing

    first = system.reconcile()
    assert all(r.ok for r in first.results), [r for r in first.results if not r.ok]
    desired = system.accounts()
    live = {a for a, account in desired.items() if account.state != "removed"}
    assert {c.address for c in first.plan.changes} == live
    assert first.plan.count()["create"] == len(live)
    persons = {a for a in live if not desired[a].shared}
    assert first.password_set == persons  # every person, and only persons, got a password

    with system.open() as backend:
        observed = backend.read()
        for address in live:
            want = backend.render(desired[address])
            have = observed[address]
            assert {k: have.attributes.get(k) for k in want} == want, address
            assert (have.enabled, have.holder) == (desired[address].enabled, desired[address].holder_id)
    facts = system.facts()
    assert set(facts) == live
    for address in live:
        assert facts[address]["quota_mb"] == desired[address].quota_mb, address
        assert facts[address]["shared"] is desired[address].shared and facts[address]["mailbox"] is True
    person, agency = system.address(PERSON), system.address(AGENCY)
    assert desired[agency].shared and not desired[person].shared
    assert facts[person]["must_change_password"] is True
    assert facts[system.address(BORN_DISABLED)]["enabled"] is False

    for address, values in facts.items():  # what mailbox_info reports, alike on both systems
        assert set(values) >= COMMON_FACT_KEYS, (address, COMMON_FACT_KEYS - set(values))
        assert all(isinstance(values[k], bool) for k in ("shared", "enabled", "mailbox", "locked")), values
    seen = repr(first) + repr(observed) + json.dumps(facts, default=str)
    given = passwords(desired).values()
    assert given and not [p for p in given if p in seen]  # passwords go in, never come out

    second = system.reconcile()
    assert second.plan.changes == () and second.results == []


def test_update_disable_enable_and_removal_that_disables_before_purge(system: System) -> None:
    system.reconcile()
    person, leaver = system.address(PERSON), system.address(OTHER)

    system.edit_person("stttt", PERSON, full_name="Nguyễn Văn Y\u2019Dũng")  # a changed attribute
    run = system.reconcile()
    assert actions(run) == [("update", person)] and all(r.ok for r in run.results), run.results
    with system.open() as backend:
        have = backend.read()[person]
        want = backend.render(system.accounts()[person])
    assert {k: have.attributes.get(k) for k in want} == want
    assert system.reconcile().plan.changes == ()

    system.edit_person("stttt", PERSON, state="disabled")
    run = system.reconcile()
    assert actions(run) == [("disable", person)] and all(r.ok for r in run.results)
    facts = system.facts()[person]
    assert facts["enabled"] is False and facts["mailbox"] is True  # the mailbox stays

    system.edit_person("stttt", PERSON, state="active")
    run = system.reconcile()
    assert actions(run) == [("enable", person)] and all(r.ok for r in run.results)
    assert system.facts()[person]["enabled"] is True

    system.edit_person("stttt", OTHER, state="removed")
    run = system.reconcile(purge=True)
    assert actions(run) == [("disable", leaver)]  # never deleted at once, even with purge
    assert system.facts()[leaver]["enabled"] is False
    assert system.reconcile().plan.changes == ()  # without purge: kept, disabled
    run = system.reconcile(purge=True)
    assert actions(run) == [("remove", leaver)] and all(r.ok for r in run.results), run.results
    facts = system.facts()
    assert leaver not in facts and person in facts
    assert system.reconcile(purge=True).plan.changes == ()


def test_quotas_are_set_in_bulk_and_a_missing_mailbox_fails_alone(system: System) -> None:
    system.reconcile()
    existing = {system.address(PERSON): 512, system.address(COLLEAGUE): 1024, system.address(AGENCY): 4096}
    missing = f"nobody@{system.domain}"
    with system.open() as backend:
        backend.read()
        results = backend.set_quotas({**existing, missing: 100})  # one call for them all
    assert [(r.address, r.ok) for r in results] == [*((a, True) for a in existing), (missing, False)]
    assert "no such mailbox" in (results[-1].error or "")
    facts = system.facts()
    assert {a: facts[a]["quota_mb"] for a in existing} == existing
    run = system.reconcile()  # R-30's quotas back
    assert sorted(actions(run)) == sorted(("update", a) for a in existing)
    assert all(r.ok for r in run.results), run.results
    desired, facts = system.accounts(), system.facts()
    assert {a: facts[a]["quota_mb"] for a in existing} == {a: desired[a].quota_mb for a in existing}


def test_addresses_in_use_see_a_hand_made_account_and_the_newcomer_gets_the_next(system: System) -> None:
    hand = f"trietkm@{system.domain}"
    system.hand_made(hand)
    add_person(system.desired, "stttt", NEWCOMER)
    with system.open() as backend:
        in_use = backend.addresses_in_use()
    assert hand in in_use
    allocate_into(system.desired, system.domain, DAY, taken=in_use)
    newcomer = system.address(NEWCOMER["id"])
    assert newcomer == f"trietkm1@{system.domain}"

    before = system.raw(hand)
    run = system.reconcile()
    assert all(r.ok for r in run.results) and run.plan.conflicts == ()
    with system.open() as backend:
        assert backend.read()[newcomer].holder == NEWCOMER["id"]
    assert system.raw(hand) == before  # the hand-made account is untouched


def test_conflicts_are_reported_never_changed_and_the_others_reconciled(
    system: System, tmp_path: Path
) -> None:
    system.reconcile()
    theirs = system.address(PERSON)
    system.give_to_someone_else(theirs, "CB-1999-000999")  # another holder's account at a ledger address
    # A newcomer allocated without the read of addresses in use, whose address holds an account
    # without any holder.
    add_person(system.desired, "stttt", NEWCOMER)
    allocate_into(system.desired, system.domain, DAY)
    newcomer = system.address(NEWCOMER["id"])
    system.hand_made(newcomer)
    system.edit_person("stttt", OTHER, state="disabled")  # an ordinary change the run still makes
    other = system.address(OTHER)
    before = {a: system.raw(a) for a in (theirs, newcomer)}

    vault = tmp_path / "vault-password"
    vault.write_text("lab-only-vault-password\n", encoding="utf-8")
    args = {
        "desired_state": str(system.desired),
        "ledger": str(system.ledger_path),
        "scope": list(lab_systems.SCOPE),
        "allocated": [newcomer],
        "credentials_file": str(tmp_path / "credentials.vault.yml"),
    }
    preview = run_adhoc(
        system.params, "mailbox", args, "--check", "--diff", "--vault-password-file", str(vault)
    )
    # The callback drops "failed" from what it prints; the module's failure message is there.
    assert "2 account(s) in conflict, left untouched (the others were planned)" in preview["msg"], preview
    assert {c["address"]: c["stored_holder"] for c in preview["conflicts"]} == {
        theirs: "CB-1999-000999",
        newcomer: None,
    }
    assert [(row["action"], row["address"]) for row in preview["plan"]] == [("disable", other)]
    assert system.facts()[other]["enabled"] is True  # check mode changed nothing

    result = run_adhoc(system.params, "mailbox", args, "--vault-password-file", str(vault))
    assert "2 account(s) in conflict, left untouched (the others were reconciled)" in result["msg"], result
    assert result["summary"]["conflict"] == 2
    assert theirs in result["msg"] and "CB-1999-000999" in result["msg"] and PERSON in result["msg"]
    assert [(r["address"], r["ok"]) for r in result["results"]] == [(other, True)]  # the others proceed
    assert {a: system.raw(a) for a in before} == before  # untouched
    assert system.facts()[other]["enabled"] is False


def test_an_account_made_before_holder_ids_is_adopted_and_stamped(system: System) -> None:
    system.reconcile()
    person, share = system.address(PERSON), system.address(AGENCY)
    system.forget_holder(person)
    system.forget_holder(share)
    desired = system.accounts()
    issued = {e.address: e.issued_on for e in ledger.load_ledger(str(system.ledger_path)).entries}
    with system.open() as backend:
        observed = backend.read()
        assert observed[person].holder is None and observed[share].holder is None
        # The city day each was made, from the system (never the test machine's clock): issued on
        # that day (the latest that still proves it ours) it is adopted, issued later it is not.
        made = {a: observed[a].created.astimezone(CITY_TIMEZONE).date() for a in (person, share)}
        late = {**issued, **made, person: made[person] + datetime.timedelta(days=2)}
        assert [
            c.address for c in plan.make_plan(desired, observed, backend.render, issued_on=late).conflicts
        ] == [person]
        issued.update(made)
        adopt = plan.make_plan(desired, observed, backend.render, issued_on=issued)
        assert adopt.conflicts == ()
        assert sorted((c.address, c.action, list(c.after.values())) for c in adopt.changes) == [
            (person, "update", [PERSON]),
            (share, "update", [AGENCY]),
        ]
        assert all(r.ok for r in backend.apply(adopt.changes, {})), "stamping failed"
    with system.open() as backend:
        observed = backend.read()
        assert (observed[person].holder, observed[share].holder) == (PERSON, AGENCY)
        assert plan.make_plan(desired, observed, backend.render, issued_on=issued).changes == ()


def test_one_failed_account_leaves_the_others_done_and_a_rerun_finishes(system: System) -> None:
    """The colleague owns the agency mailbox (the lab city). On Exchange the share's grants name the
    holder's own account (``-User`` by DN), so none goes to the object in the way, which holds the
    address outside the managed OU: the share's change fails until the colleague's account exists.
    OBM's Cyrus ACL names the login, which only an obmUser entry holding the address and a password
    can use (saslauthd's filter): the entry in the way cannot, so the share is done at once there."""
    target, share = system.address(COLLEAGUE), system.address(AGENCY)
    exchange = system.params["backend"] == "exchange"
    with system.in_the_way(target):
        run = system.reconcile()
        failed = {r.address: r.error or "" for r in run.results if not r.ok}
        assert sorted(failed) == sorted([target, share] if exchange else [target]), failed
        assert system.refusal in failed[target]
        assert sum(r.ok for r in run.results) == len(run.results) - len(failed)
        assert target not in system.facts()  # untouched: nothing half-made
        if exchange:
            refused = f"FullAccess and Send As for {target} not granted: no account of {COLLEAGUE}"
            assert refused in failed[share]
            with system.open() as backend:
                rights = backend.read()[share].attributes
            others = set(system.accounts()[share].access) - {target}
            assert set(rights["full_access"]) | set(rights["send_as"]) <= others, rights  # nobody else
    again = system.reconcile()
    assert actions(again) == [("create", target), *([("update", share)] if exchange else [])], actions(again)
    assert all(r.ok for r in again.results), again.results
    assert system.reconcile().plan.changes == ()
