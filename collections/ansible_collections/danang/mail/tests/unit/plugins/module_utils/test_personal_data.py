# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Personal data (R-43): its format, and that no issued password ever contains the holder's birth
date or phone - the generator is driven by a deterministic source that first draws exactly those."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils import passwords
from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.initial_passwords import (
    NOT_RECORDED,
    handover,
    initial_passwords,
    withhold_unrecorded,
)
from ansible_collections.danang.mail.plugins.module_utils.personal_data import (
    PersonalData,
    parse_personal_data,
    password_context,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, Change

BIRTH = datetime.date(1985, 4, 12)
PHONE = "0905123456"
# Valid under R-42 (every class, 16 characters), each holding one piece of the holder's data.
WITH_BIRTH_DATE = "Ka7+12041985mdep"
WITH_PHONE = "Ka7+905123456mde"
WITH_YEAR = "Ka7+1985dmenpkTy"
CLEAN = "Ka7+mdepKT3y/Nha"


def test_the_file_format_is_read():
    found, problems = parse_personal_data(
        {"CB-1": {"birth_date": BIRTH, "phone": PHONE}, "CB-2": {"birth_date": "1990-01-31"}, "CB-3": {}},
        "personal_data.vault.yml",
    )
    assert problems == []
    assert found == {
        "CB-1": PersonalData(BIRTH, PHONE),
        "CB-2": PersonalData(datetime.date(1990, 1, 31)),
        "CB-3": PersonalData(),
    }
    assert found["CB-1"].as_option() == {"birth_date": "1985-04-12", "phone": PHONE}
    assert password_context(found, "CB-1") == {"birth_date": BIRTH, "phone": PHONE}
    assert password_context(found, "CB-9") == {}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"CB-1": {"birth_date": "12/04/1985"}}, "f.yml: CB-1: birth_date: must be a date"),
        ({"CB-1": {"phone": 914000111}}, "f.yml: CB-1: phone: must be a quoted phone number"),
        ({"CB-1": {"phone": "call me"}}, "f.yml: CB-1: phone: must be a quoted phone number"),
        ({"CB-1": {"birthday": BIRTH}}, "f.yml: CB-1: birthday: unknown field"),
        ({"CB-1": "1985-04-12"}, "f.yml: CB-1: must be a mapping"),
        ({101: {"phone": PHONE}}, "f.yml: 101: the key must be a person id"),
        (["CB-1"], "f.yml: must map person ids"),
    ],
)
def test_problems_name_the_file_entry_and_field_never_the_value(data, expected):
    _found, problems = parse_personal_data(data, "f.yml")
    assert problems and str(problems[0]).startswith(expected)
    assert "914000111" not in str(problems[0]) and "call me" not in str(problems[0])


class Draws:
    """A deterministic source for ``passwords._draw``: the given passwords in turn."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *drawn: str) -> None:
        self.drawn = list(drawn)
        self.count = 0
        monkeypatch.setattr(passwords, "_draw", self)

    def __call__(self, length: int) -> str:
        self.count += 1
        return self.drawn.pop(0)


def person(holder: str = "CB-1") -> Change:
    account = Account(
        "dungnv@danang.gov.vn",
        "person",
        holder,
        "Nguyễn Văn Dũng",
        "stttt",
        first_name="Dũng",
        last_name="Nguyễn Văn",
    )
    return Change(CREATE, account.address, account)


def test_a_password_holding_the_birth_date_or_phone_is_drawn_again(monkeypatch):
    draws = Draws(monkeypatch, WITH_BIRTH_DATE, WITH_PHONE, WITH_YEAR, CLEAN)
    personal = {"CB-1": PersonalData(BIRTH, PHONE)}
    assert initial_passwords([person()], {}, personal) == {"CB-1": CLEAN}
    assert draws.count == 4


def test_without_personal_data_the_birth_date_would_be_issued(monkeypatch):
    """The control: the same source, no personal data - the first draw is issued."""
    Draws(monkeypatch, WITH_BIRTH_DATE)
    assert initial_passwords([person()], {}) == {"CB-1": WITH_BIRTH_DATE}


def test_a_known_password_is_reused_not_drawn(monkeypatch):
    draws = Draws(monkeypatch)
    assert initial_passwords([person()], {"CB-1": CLEAN}, {"CB-1": PersonalData(BIRTH)}) == {"CB-1": CLEAN}
    assert draws.count == 0


def test_creates_without_a_recorded_password_are_withheld():
    keep, refused = withhold_unrecorded([person("CB-1"), person("CB-2")], {"CB-1": CLEAN})
    assert [c.account.holder_id for c in keep] == ["CB-1"]
    assert [(r.ok, r.error) for r in refused] == [(False, NOT_RECORDED)]


def test_handover_lists_created_and_known_present_persons():
    holders = {"CB-1": "a@x", "CB-2": "b@x", "CB-3": "c@x"}
    found = handover(holders, ["a@x", "c@x"], {"CB-1": CLEAN}, ["CB-2"], {"CB-1": ["obm"], "CB-2": ["obm"]})
    # CB-3 is present but has no known password: not this project's to hand over.
    assert found == {
        "CB-1": {"address": "a@x", "systems": ["obm"]},
        "CB-2": {"address": "b@x", "systems": ["obm"]},
    }
