# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may open the shared mailboxes (R-71, R-46, R-51): owner, delegate and the technical team in
the desired state, their checks (file, entry and field named), and the access each account gets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils.accounts import desired_accounts
from ansible_collections.danang.mail.plugins.module_utils.desired_state import load_desired_state
from ansible_collections.danang.mail.plugins.module_utils.model import (
    KIND_RESERVED,
    SPAM_HOLDER_ID,
    Problem,
    ValidationFailed,
)

HEAD, DEPUTY, STAFF, GONE, OTHER = "CB-1", "CB-2", "CB-3", "CB-4", "CB-9"
HOLDERS = {
    "agency/stttt": "stttt@danang.gov.vn",
    "department/stttt/cntt": "cntt@danang.gov.vn",
    "agency/stc": "stc@danang.gov.vn",
    HEAD: "dungnv@danang.gov.vn",
    DEPUTY: "hattt@danang.gov.vn",
    STAFF: "namlq@danang.gov.vn",
    GONE: "lanht@danang.gov.vn",
    OTHER: "binhlt@danang.gov.vn",
}


def person(pid: str, name: str, **fields: Any) -> dict[str, Any]:
    return {"id": pid, "full_name": name, "requested_on": "2017-08-01", **fields}


def tree(root: Path, stttt: dict[str, Any] | None = None, city: Any = None) -> Path:
    agencies = root / "agencies"
    agencies.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "abbreviation": "stttt",
        "name": "Sở Thông tin và Truyền thông",
        "departments": [{"abbreviation": "cntt", "name": "Phòng Công nghệ thông tin", "mailbox": True}],
        "people": [
            person(HEAD, "Nguyễn Văn Dũng", department="cntt"),
            person(DEPUTY, "Trần Thị Thu Hà"),
            person(STAFF, "Lê Quang Nam", department="cntt"),
            person(GONE, "Hồ Thị Lan", state="removed"),
        ],
        **(stttt or {}),
    }
    stc = {"abbreviation": "stc", "name": "Sở Tài chính", "people": [person(OTHER, "Lê Thanh Bình")]}
    for name, content in (("stttt.yml", data), ("stc.yml", stc)):
        text = yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
        (agencies / name).write_text(text, encoding="utf-8")
    if city is not None:
        text = city if isinstance(city, str) else yaml.safe_dump(city)
        (root / "city.yml").write_text(text, encoding="utf-8")
    return root


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(ValidationFailed) as caught:
        load_desired_state(root)
    return caught.value.problems


def department(**fields: Any) -> list[dict[str, Any]]:
    return [{"abbreviation": "cntt", "name": "Phòng Công nghệ thông tin", "mailbox": True, **fields}]


def test_owner_and_delegate_give_the_shared_mailboxes_their_access(tmp_path: Path) -> None:
    """R-71: the head and one delegate open the agency mailbox; the same for a department."""
    root = tree(tmp_path, {"owner": HEAD, "delegate": DEPUTY, "departments": department(owner=STAFF)})
    state = load_desired_state(root)
    (stttt, _stc) = sorted(state.agencies, key=lambda a: a.abbreviation != "stttt")
    assert (stttt.owner, stttt.delegate) == (HEAD, DEPUTY)
    assert (stttt.departments[0].owner, stttt.departments[0].delegate) == (STAFF, None)
    accounts, problems = desired_accounts(state, HOLDERS, system="obm")
    assert problems == []
    assert accounts["stttt@danang.gov.vn"].access == ("dungnv@danang.gov.vn", "hattt@danang.gov.vn")
    assert accounts["cntt@danang.gov.vn"].access == ("namlq@danang.gov.vn",)
    # Whose each address is: a backend grants only to the account that stores that holder's id.
    assert accounts["stttt@danang.gov.vn"].access_holders == tuple(
        sorted((HOLDERS[p], p) for p in (HEAD, DEPUTY))
    )
    assert accounts["stc@danang.gov.vn"].access == ()  # no owner: nobody opens it (reported, R-71)
    assert all(a.access == () for a in accounts.values() if not a.shared)
    assert "chanthurac@danang.gov.vn" not in accounts  # no city.yml: not managed here


@pytest.mark.parametrize(
    ("fields", "entry", "field", "words"),
    [
        ({"owner": "CB-404"}, "", "owner", "unknown person 'CB-404'"),
        (
            {"owner": OTHER},
            "",
            "owner",
            "'CB-9' is a person of agency stc: the owner must be a person of this",
        ),
        ({"owner": GONE}, "", "owner", "'CB-4' is removed: only an active person may be the owner"),
        ({"owner": HEAD, "delegate": HEAD}, "", "delegate", "the delegate is the owner"),
        ({"delegate": DEPUTY}, "", "delegate", "a delegate needs an owner"),
        ({"mailbox": False, "owner": HEAD}, "", "owner", "only a mailbox has an owner"),
        ({"owner": "CB 1"}, "", "owner", "is not valid"),
        ({"owner": HEAD, "delegate": [DEPUTY, STAFF]}, "", "delegate", "is not of type 'string'"),
        (
            {"departments": department(owner=HEAD, delegate=OTHER)},
            "departments[0] (abbreviation cntt)",
            "delegate",
            "'CB-9' is a person of agency stc: the delegate must be",
        ),
        (
            {"departments": department(mailbox=False, delegate=DEPUTY)},
            "departments[0] (abbreviation cntt)",
            "delegate",
            "only a mailbox has a delegate",
        ),
    ],
)
def test_owner_and_delegate_are_checked_with_file_entry_and_field(
    tmp_path: Path, fields: dict[str, Any], entry: str, field: str, words: str
) -> None:
    """R-71: the persons exist in the same agency and are active, at most one delegate, not the owner;
    only a mailbox has them. Every problem names the file, the entry and the field."""
    root = tree(tmp_path, fields)
    problems = problems_of(root)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.source == os.path.join(root, "agencies", "stttt.yml")
    assert (problem.entry, problem.field) == (entry, field)
    assert words in problem.message


def test_technical_team_gets_chanthurac_on_both_systems(tmp_path: Path) -> None:
    """R-51: chanthurac@ is a reserved shared mailbox, never in the ledger, opened by the team."""
    state = load_desired_state(tree(tmp_path, city={"technical_team": [STAFF, OTHER]}))
    assert state.technical_team == (STAFF, OTHER)
    for system in ("obm", "exchange"):
        accounts, problems = desired_accounts(state, HOLDERS, system=system)
        assert problems == []
        spam = accounts["chanthurac@danang.gov.vn"]
        assert (spam.kind, spam.holder_id, spam.shared, spam.enabled) == (
            KIND_RESERVED,
            SPAM_HOLDER_ID,
            True,
            True,
        )
        assert spam.access == ("binhlt@danang.gov.vn", "namlq@danang.gov.vn")
    scoped, _problems = desired_accounts(state, HOLDERS, system="obm", agencies=["stttt"])
    assert "chanthurac@danang.gov.vn" not in scoped  # a scoped run manages its agencies only


def test_chanthurac_goes_in_the_ledger_s_one_domain(tmp_path: Path) -> None:
    state = load_desired_state(tree(tmp_path, city={"technical_team": []}))
    accounts, _problems = desired_accounts(state, {HEAD: "dungnv@t1.danang.gov.vn"}, system="obm")
    assert "chanthurac@t1.danang.gov.vn" in accounts and accounts["chanthurac@t1.danang.gov.vn"].access == ()
    _accounts, problems = desired_accounts(state, {}, system="obm")
    (problem,) = [p for p in problems if p.source == "city.yml"]
    assert problem.field == "technical_team" and "allocate first" in problem.message
    two = {HEAD: "dungnv@t1.danang.gov.vn", STAFF: "namlq@t2.danang.gov.vn"}
    (problem,) = [p for p in desired_accounts(state, two, system="obm")[1] if p.source == "city.yml"]
    assert "t1.danang.gov.vn, t2.danang.gov.vn" in problem.message  # one domain


@pytest.mark.parametrize(
    ("city", "field", "words"),
    [
        ({"technical_team": ["CB-404"]}, "technical_team[0]", "unknown person 'CB-404'"),
        ({"technical_team": [STAFF, GONE]}, "technical_team[1]", "'CB-4' is removed"),
        ({"technical_team": [STAFF, STAFF]}, "technical_team", "non-unique"),
        ({"technical_team": [STAFF], "team": []}, "team", "unknown key"),
        ({}, "technical_team", "is required"),
        ("", "", "the file is empty"),
        ("technical_team: [CB-3\n", "", "YAML"),
    ],
)
def test_city_file_is_checked_strictly(tmp_path: Path, city: Any, field: str, words: str) -> None:
    root = tree(tmp_path, city=city)
    problems = problems_of(root)
    assert [p.source for p in problems] == [os.path.join(root, "city.yml")], problems
    assert problems[0].field == field and words.lower() in problems[0].message.lower(), problems


def test_city_file_must_not_be_a_link(tmp_path: Path) -> None:
    root = tree(tmp_path)
    secret = tmp_path / "secret.yml"
    secret.write_text("technical_team: []\n", encoding="utf-8")
    (root / "city.yml").symlink_to(secret)
    (problem,) = problems_of(root)
    assert "symbolic link" in problem.message and "technical_team" not in problem.message


LAB = Path(__file__).resolve().parents[8] / "inventories" / "lab" / "desired_state"


@pytest.mark.skipif(not LAB.is_dir(), reason="runs from the repository only")
def test_lab_city_has_owners_and_a_technical_team() -> None:
    state = load_desired_state(LAB)
    stttt = next(a for a in state.agencies if a.abbreviation == "stttt")
    assert stttt.owner and stttt.delegate and stttt.find_department("cntt").delegate  # type: ignore[union-attr]
    assert state.technical_team
