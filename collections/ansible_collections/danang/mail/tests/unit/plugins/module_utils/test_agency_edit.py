# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Round-trip edits of agency files: every byte outside the edited lines stays as it was (R-20, R-21)."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils.agency_edit import AgencyDocument
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed

REPO = Path(__file__).resolve().parents[8]
AGENCIES = REPO / "inventories" / "lab" / "desired_state" / "agencies"
STTTT = (AGENCIES / "stttt.yml").read_text(encoding="utf-8")


def document(text: str = STTTT) -> AgencyDocument:
    return AgencyDocument(text, "agencies/stttt.yml")


def replaced(text: str, old: str, new: str) -> str:
    """``text`` with the one occurrence of ``old`` replaced: the expected file, byte for byte."""
    assert text.count(old) == 1
    return text.replace(old, new)


@pytest.mark.parametrize("path", sorted(AGENCIES.glob("*.yml")), ids=lambda p: p.name)
def test_every_lab_file_reads_back_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    edit = AgencyDocument(text, str(path))
    assert edit.text() == text
    assert not edit.changed


def test_cancel_adds_one_line_and_keeps_the_comment_before_the_next_entry() -> None:
    edit = document()
    edit.cancel_person("CB-2017-000105")
    before = "    requested_on: 2017-08-02\n  # Two-word given name"
    after = "    requested_on: 2017-08-02\n    state: removed\n  # Two-word given name"
    assert edit.text() == replaced(STTTT, before, after)


def test_cancel_of_a_disabled_person_changes_only_the_state_line() -> None:
    edit = document()
    edit.cancel_person("CB-2019-000318")
    assert edit.text() == replaced(STTTT, "    state: disabled\n", "    state: removed\n")


def test_change_writes_only_the_fields_that_differ() -> None:
    edit = document()
    fields = edit.change_person(
        "CB-2017-000103", {"department": "thanhtra", "rank": 1, "full_name": "Lê Quang Nam"}
    )
    assert fields == ["department"]
    old = "    full_name: Lê Quang Nam\n    department: cntt\n"
    assert edit.text() == replaced(STTTT, old, old.replace("cntt", "thanhtra"))


def test_change_inserts_a_missing_key_in_schema_order_and_keeps_flow_lists() -> None:
    edit = document()
    assert edit.change_person("CB-2022-000615", {"rank": 2, "systems": ["obm"]}) == ["rank", "systems"]
    old = "    full_name: Trương Công Định\n    department: cntt\n    requested_on: 2022-06-20\n"
    new = (
        "    full_name: Trương Công Định\n    department: cntt\n    rank: 2\n"
        "    requested_on: 2022-06-20\n    systems: [obm]\n"
    )
    assert edit.text() == replaced(STTTT, old, new)


def test_nothing_differs_nothing_changes() -> None:
    edit = document()
    assert edit.change_person("CB-2023-000702", {"systems": ["obm"], "department": "cntt"}) == []
    assert edit.text() == STTTT


def test_new_person_is_appended_at_the_end_of_people() -> None:
    edit = document()
    values = {
        "family_name": "Đặng",
        "given_name": "Bảo Anh",
        "department": "cntt",
        "rank": 0,
        "systems": ["exchange"],
    }
    edit.add_person("CB-2026-000009", values, datetime.date(2026, 12, 7))
    added = (
        "  - id: CB-2026-000009\n    family_name: Đặng\n    given_name: Bảo Anh\n    department: cntt\n"
        "    rank: 0\n    requested_on: 2026-12-07\n    systems: [exchange]\n"
    )
    assert edit.text() == STTTT + added


def test_new_department_is_one_line_after_the_others() -> None:
    edit = document()
    edit.add_department("khtc", "Phòng Kế hoạch - Tài chính", "CB-2017-000104", None)
    last = "  - {abbreviation: vanphong, name: Văn phòng, mailbox: true}\n"
    line = (
        "  - {abbreviation: khtc, name: Phòng Kế hoạch - Tài chính, mailbox: true, owner: CB-2017-000104}\n"
    )
    assert edit.text() == replaced(STTTT, last, last + line)


def test_mailbox_owner_and_delegate_in_place() -> None:
    edit = document()
    assert edit.set_mailbox(None, "CB-2017-000102", "CB-2025-000901") == ["delegate"]
    assert edit.text() == replaced(STTTT, "delegate: CB-2022-000615\n", "delegate: CB-2025-000901\n")
    assert edit.set_mailbox("thanhtra", "CB-2017-000104", None) == ["owner"]
    assert (
        "  - {abbreviation: thanhtra, name: Phòng Thanh tra, mailbox: true, owner: CB-2017-000104}\n"
        in edit.text()
    )


def test_owner_inserted_after_mailbox_keeps_the_comment_before_the_next_key() -> None:
    text = "---\nabbreviation: sxd\nname: Sở Xây dựng\nmailbox: false\n# the departments\ndepartments: []\n"
    edit = document(text)
    assert edit.set_mailbox(None, "CB-1", None) == ["mailbox", "owner"]
    assert edit.text() == text.replace("mailbox: false\n", "mailbox: true\nowner: CB-1\n")


def test_a_file_whose_layout_does_not_read_back_is_refused_not_reformatted() -> None:
    text = "---\nabbreviation: sxd\nname:   Sở Xây dựng\npeople:\n- id: CB-1\n  full_name: Lê Lợi\n"
    with pytest.raises(ValidationFailed) as failed:
        document(text)
    assert "cannot be edited without reformatting" in str(failed.value.problems[0])
