# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Requests in: forms 01/02 and the records software's export become agency edits and records
(R-20, R-21, R-22, R-72); conflicts and hostile files are refused and nothing is written."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.request_files import read_request
from ansible_collections.danang.mail.plugins.module_utils.request_import import (
    ImportPlan,
    plan_import,
    write_files,
)
from ansible_collections.danang.mail.plugins.module_utils.request_records import parse_record
from ansible_collections.danang.mail.plugins.module_utils.request_summary import (
    provisional_addresses,
    summary_markdown,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar

REPO = Path(__file__).resolve().parents[8]
LAB = REPO / "inventories" / "lab"
REQUESTER = '{name: Trần Thị Bình, email: vanthu-stttt@danang.gov.vn, phone: "02363822123"}'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "desired_state"
    shutil.copytree(LAB / "desired_state", copy)
    return copy


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def form(
    tmp_path: Path, lines: str, number: str = "01", agency: str = "stttt", day: str = "2026-12-07"
) -> Path:
    key = "people" if number == "01" else "mailboxes"
    path = tmp_path / f"form-{number}.yml"
    path.write_text(
        f'form: "{number}"\nagency: {agency}\nreceived_on: {day}\nrequester: {REQUESTER}\n{key}:\n{lines}',
        encoding="utf-8",
    )
    return path


def run_import(root: Path, path: Path, mapping: Path | None = None) -> ImportPlan:
    plan = plan_import(
        str(root), read_request(str(path), str(mapping) if mapping else None), WorkingCalendar()
    )
    write_files(plan)
    return plan


def problems_of(root: Path, path: Path, mapping: Path | None = None) -> str:
    before = snapshot(root)
    with pytest.raises(ValidationFailed) as failed:
        run_import(root, path, mapping)
    assert snapshot(root) == before  # refused: nothing written
    return "\n".join(str(p) for p in failed.value.problems)


def record(root: Path, record_id: str):
    path = root / "requests" / f"{record_id}.yml"
    data = strict_yaml.load_file(str(path), str(path), max_bytes=1 << 20, dates=False)
    found, problems = parse_record(data, str(path), path.name)
    assert not problems
    return found


def test_form_01_edits_the_agency_file_and_writes_the_record(root: Path, tmp_path: Path) -> None:
    path = form(
        tmp_path,
        "  - {action: new, id: CB-2026-000001, full_name: Nguyễn Văn Bình, department: cntt, rank: 2}\n"
        "  - {action: change, id: CB-2017-000103, department: thanhtra}\n"
        "  - {action: cancel, id: CB-2024-000805}\n",
    )
    plan = run_import(root, path)
    assert [r.id for r in plan.records] == ["2026-12-07-stttt-1"]
    found = record(root, "2026-12-07-stttt-1")
    assert found.due_on == datetime.date(2026, 12, 8)  # Monday -> Tuesday, 1 working day
    assert [(i.action, i.id, i.fields) for i in found.items] == [
        ("new", "CB-2026-000001", ()),
        ("change", "CB-2017-000103", ("department",)),
        ("cancel", "CB-2024-000805", ()),
    ]
    assert found.requester["email"] == "vanthu-stttt@danang.gov.vn"
    person = plan.state.find_person("CB-2026-000001")
    assert person.requested_on == datetime.date(2026, 12, 7) and person.rank == 2
    assert plan.state.find_person("CB-2024-000805").state == "removed"
    ledger = load_ledger(str(root / "ledger.yml"))
    allocation = provisional_addresses(
        plan.state, ledger.entries, domain="danang.gov.vn", reserved=[], today=datetime.date(2026, 12, 7)
    )
    held = {e.id: e.address for e in ledger.entries}
    summary = summary_markdown(plan, allocation, held, ["desired_state/agencies/stttt.yml"])
    assert "binhnv@danang.gov.vn \\(provisional\\)" in summary
    assert "kept; the ledger never reissues it" in summary
    assert "2026-12-08" in summary


def test_the_same_request_twice_changes_nothing(root: Path, tmp_path: Path) -> None:
    path = form(
        tmp_path, "  - {action: new, id: CB-2026-000001, full_name: Nguyễn Văn Bình, department: cntt}\n"
    )
    run_import(root, path)
    before = snapshot(root)
    again = run_import(root, path)
    assert again.duplicates == ["2026-12-07-stttt-1"] and not again.files and not again.records
    assert snapshot(root) == before


def test_a_second_request_of_the_same_day_gets_the_next_record_id(root: Path, tmp_path: Path) -> None:
    run_import(
        root,
        form(
            tmp_path, "  - {action: new, id: CB-2026-000001, full_name: Nguyễn Văn Bình, department: cntt}\n"
        ),
    )
    plan = run_import(
        root,
        form(tmp_path, "  - {action: new, id: CB-2026-000002, full_name: Lê Văn Cường, department: cntt}\n"),
    )
    assert [r.id for r in plan.records] == ["2026-12-07-stttt-2"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "{action: new, id: CB-2017-000101, full_name: Lê Văn Tám, department: cntt}",
            "already used by stttt's Nguyễn Văn Dũng",
        ),
        (
            "{action: new, id: CB-2017-000120, full_name: Lê Văn Tám}",
            "already used by stc",
        ),  # another agency's person
        ("{action: change, id: CB-2099-000001, rank: 3}", "unknown person"),
        ("{action: cancel, id: CB-2099-000001}", "unknown person"),
        ("{action: change, id: CB-2017-000103, department: khtc}", "unknown department 'khtc'"),
        ("{action: change, id: CB-2017-000103, department: cntt}", "nothing to change"),
        ("{action: cancel, id: CB-2020-000422}", "was removed already"),
        (
            "{action: new, id: CB-2026-000001, full_name: Lê Văn Tám, department: cntt, nick: x}",
            "unknown key",
        ),
        ("{action: promote, id: CB-2017-000103}", "must be one of new, change, cancel"),
        ("{action: new, id: CB-2026-000001, department: cntt}", "needs full_name"),
        # the edited tree is validated: the head of stttt owns its mailbox and cannot just leave
        ("{action: cancel, id: CB-2017-000102}", "(after the edit)"),
        # a formula typed as text stays text, and is no name
        (
            '{action: new, id: CB-2026-000001, full_name: "=HYPERLINK(\\"http://x\\")", department: cntt}',
            "full_name",
        ),
    ],
)
def test_conflicts_are_refused_with_the_reason(root: Path, tmp_path: Path, line: str, message: str) -> None:
    found = problems_of(root, form(tmp_path, f"  - {line}\n"))
    assert message in found


def test_person_of_another_agency_is_changed_by_that_agency_only(root: Path, tmp_path: Path) -> None:
    ids = sorted(
        {p.id for p in plan_import(str(root), [], WorkingCalendar()).state.people() if p.agency == "stc"}
    )
    found = problems_of(root, form(tmp_path, f"  - {{action: cancel, id: {ids[0]}}}\n"))
    assert "belongs to agency stc, not stttt" in found


def test_unknown_agency_and_missing_requester_are_refused(root: Path, tmp_path: Path) -> None:
    assert "a new agency's file is added by the Department" in problems_of(
        root, form(tmp_path, "  - {action: cancel, id: CB-2017-000103}\n", agency="sxyz")
    )
    path = tmp_path / "bad.yml"
    path.write_text('form: "01"\nagency: stttt\nreceived_on: 7/12/2026\npeople: []\n', encoding="utf-8")
    found = problems_of(root, path)
    for text in ("received_on", "requester: required", "people: must list"):
        assert text in found


def test_legacy_encoded_name_refuses_the_whole_form(root: Path, tmp_path: Path) -> None:
    path = form(
        tmp_path,
        "  - {action: new, id: CB-2026-000001, full_name: Lê Văn Tám, department: cntt}\n"
        "  - {action: new, id: CB-2026-000002, full_name: NguyÔn V¨n Dòng, department: cntt}\n",
    )
    found = problems_of(root, path)
    assert "the whole file is refused" in found and "TCVN3" in found


def test_form_02_adds_a_department_and_sets_the_agency_delegate(root: Path, tmp_path: Path) -> None:
    path = form(
        tmp_path,
        "  - {department: khtc, name: Phòng Kế hoạch - Tài chính, owner: CB-2017-000104}\n"
        "  - {owner: CB-2017-000102, delegate: CB-2025-000901}\n",
        number="02",
    )
    plan = run_import(root, path)
    found = record(root, plan.records[0].id)
    assert [i.holder for i in found.items] == ["department/stttt/khtc", "agency/stttt"]
    assert found.form == "02"
    department = plan.state.find_agency("stttt").find_department("khtc")
    assert department.mailbox and department.owner == "CB-2017-000104"
    unknown = problems_of(
        root, form(tmp_path, "  - {department: tccb, owner: CB-2017-000104}\n", number="02")
    )
    assert "give its name to add it" in unknown


def test_the_repository_forms_import_into_the_lab(root: Path) -> None:
    for name in ("mau-01.yml", "mau-02.yml"):
        plan = run_import(root, REPO / "forms" / name)
        assert plan.records and plan.files


def test_requester_with_a_line_break_is_refused(root: Path, tmp_path: Path) -> None:
    path = tmp_path / "form.yml"
    path.write_text(
        'form: "01"\nagency: stttt\nreceived_on: 2026-12-07\n'
        'requester: {name: "Bình\\ndone_on: 2026-12-07", email: vanthu-stttt@danang.gov.vn}\n'
        "people:\n  - {action: cancel, id: CB-2024-000805}\n",
        encoding="utf-8",
    )
    assert "requester.name: must be text" in problems_of(root, path)


def test_an_agency_file_changed_during_the_import_is_not_overwritten(root: Path, tmp_path: Path) -> None:
    path = form(tmp_path, "  - {action: cancel, id: CB-2024-000805}\n")
    plan = plan_import(str(root), read_request(str(path)), WorkingCalendar())
    agency = root / "agencies" / "stttt.yml"
    agency.write_text(agency.read_text(encoding="utf-8") + "# edited meanwhile\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="changed while the import ran"):
        write_files(plan)
    assert agency.read_text(encoding="utf-8").endswith("# edited meanwhile\n")


def test_a_records_code_with_spaces_still_collides(root: Path, tmp_path: Path) -> None:
    line = '  - {action: new, id: " CB-2017-000101 ", full_name: Lê Văn Tám, department: cntt}\n'
    assert "already used by" in problems_of(root, form(tmp_path, line))


def test_a_person_named_twice_in_one_import_is_refused(root: Path, tmp_path: Path) -> None:
    lines = (
        "  - {action: change, id: CB-2017-000103, department: thanhtra}\n"
        "  - {action: cancel, id: CB-2017-000103}\n"
    )
    assert "named twice in this import" in problems_of(root, form(tmp_path, lines))


def test_a_department_named_to_take_an_agency_address_is_refused_before_writing(
    root: Path, tmp_path: Path
) -> None:
    path = form(tmp_path, "  - {department: stc, name: Phòng Tài chính}\n", number="02")
    plan = plan_import(str(root), read_request(str(path)), WorkingCalendar())
    entries = load_ledger(str(root / "ledger.yml")).entries
    with pytest.raises(ValidationFailed) as failed:  # the module computes this before it writes
        provisional_addresses(
            plan.state, entries, domain="danang.gov.vn", reserved=[], today=datetime.date(2026, 12, 7)
        )
    assert "stc@" in "\n".join(str(p) for p in failed.value.problems)
