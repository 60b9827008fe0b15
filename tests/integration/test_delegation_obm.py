"""Who may open OBM's agency mailboxes and chanthurac@ (R-71, R-46, R-51), against the real lab:
the owner and the delegate open the share over IMAP as themselves (saslauthd), nobody else does;
moving the delegate moves the rights; a right given by hand is reported, then taken away.

Cyrus shows a share to a user of its domain under ``Shared Folders/<name>`` (measured on the lab:
LIST gives ``(\\HasNoChildren) "/" "Shared Folders/stttt"``); its ACL commands are RFC 4314's
(https://www.rfc-editor.org/rfc/rfc4314), which Cyrus 3.6 implements.
"""

from __future__ import annotations

import imaplib

import obm_city
import pytest
import yaml
from lab_systems import obm_params, run_adhoc
from obm_city import City, cyrus_admin, password_for

pytestmark = pytest.mark.integration
city = obm_city.city  # the fixture

HEAD, DELEGATE, OTHER = "CB-2017-000102", "CB-2022-000615", "CB-2017-000103"  # the lab's stttt
TEAM_MEMBER = "CB-2018-000211"  # inventories/lab/desired_state/city.yml
FULL = "lrswipkxtecdan"


def opens(city: City, person_id: str, share: str) -> bool:
    """Whether the person, logged in as themselves, can SELECT the share."""
    city.lab.simulate_password_change(city.address(person_id))  # IMAP needs the first change
    imap = imaplib.IMAP4(city.lab.imap_host, city.lab.imap_port)
    try:
        imap.login(city.address(person_id), password_for(person_id))
        typ, _data = imap.select(f'"Shared Folders/{share}"', readonly=True)
        return typ == "OK"
    finally:
        imap.logout()


def set_delegate(city: City, agency: str, person_id: str) -> None:
    path = city.desired / "agencies" / f"{agency}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["delegate"] = person_id
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_owner_and_delegate_open_the_share_and_nobody_else(city: City) -> None:
    the_plan, results, _backend = city.reconcile()
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    stttt = city.address("agency/stttt")
    assert opens(city, DELEGATE, "stttt") and opens(city, HEAD, "stttt")
    assert not opens(city, OTHER, "stttt")  # anyone keeps only p (post)
    # chanthurac@ exists, reserved, and the technical team opens it
    assert f"chanthurac@{city.domain}" in {c.address for c in the_plan.changes}
    assert opens(city, TEAM_MEMBER, "chanthurac") and not opens(city, HEAD, "chanthurac")
    again, _results, _backend = city.reconcile()
    assert again.changes == ()  # the second run changes nothing

    # A right given by hand: reported by check mode (plan before/after), removed by the next run.
    imap = cyrus_admin(city.lab)
    assert imap.setacl(f'"{stttt}"', city.address(OTHER), "lrs")[0] == "OK"
    imap.logout()
    args = {"desired_state": str(city.desired), "ledger": str(city.ledger_path)}
    checked = run_adhoc(obm_params(city), "mailbox", args, "--check", "--diff")
    [row] = checked["plan"]
    hand = f"{city.address(OTHER)} (lrs)"
    assert (row["address"], row["action"]) == (stttt, "update")
    assert hand in row["before"]["access"] and hand not in row["after"]["access"]
    assert opens(city, OTHER, "stttt")  # check mode changed nothing
    fixed, results, _backend = city.reconcile()
    assert [c.address for c in fixed.changes] == [stttt] and all(r.ok for r in results)
    assert not opens(city, OTHER, "stttt")

    # Changing the delegate moves the rights.
    set_delegate(city, "stttt", OTHER)
    moved, results, _backend = city.reconcile()
    assert [(c.address, c.action) for c in moved.changes] == [(stttt, "update")]
    assert moved.changes[0].after == {"access": tuple(sorted([city.address(HEAD), city.address(OTHER)]))}
    assert all(r.ok for r in results)
    assert opens(city, OTHER, "stttt") and not opens(city, DELEGATE, "stttt")
    imap = cyrus_admin(city.lab)
    acl = imap.getacl(f'"{stttt}"')[1][0].decode().split()[1:]
    imap.logout()
    rights = dict(zip(acl[0::2], acl[1::2], strict=True))
    assert rights.pop("anyone") == "p" and rights == {city.address(HEAD): FULL, city.address(OTHER): FULL}
    last, _results, backend = city.reconcile()
    assert last.changes == ()
    # mailbox_info's facts say who may open the share
    assert backend.facts[stttt].as_dict()["access"] == sorted([city.address(HEAD), city.address(OTHER)])
