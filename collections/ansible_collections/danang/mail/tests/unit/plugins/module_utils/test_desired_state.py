# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The desired-state loader: every validation rule, all problems at once, precise locations."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils import desired_state as loader
from ansible_collections.danang.mail.plugins.module_utils.desired_state import (
    MissingLibrary,
    load_desired_state,
)
from ansible_collections.danang.mail.plugins.module_utils.model import (
    Problem,
    ValidationFailed,
    agency_holder_id,
    department_holder_id,
)

REPO = Path(__file__).resolve().parents[8]
LAB = REPO / "inventories" / "lab" / "desired_state"
PRODUCTION = REPO / "inventories" / "production" / "desired_state"

TCVN3_NAME = "NguyÔn V¨n Dòng"  # "Nguyễn Văn Dũng" from an old TCVN3 (ABC) export
VNI_NAME = "Nguyeãn Vaên Duõng"  # the same name from a VNI export


def person(pid: str = "CB-2017-000001", **fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": pid, "full_name": "Nguyễn Văn Dũng", "requested_on": "2017-08-01"}
    entry.update(fields)
    return {k: v for k, v in entry.items() if v is not None}


def agency(abbr: str = "stttt", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "abbreviation": abbr,
        "name": "Sở Thông tin và Truyền thông",
        "departments": [{"abbreviation": "cntt", "name": "Phòng Công nghệ thông tin", "mailbox": True}],
        "people": [person()],
    }
    data.update(fields)
    return data


def write(root: Path, file_name: str, content: Any) -> Path:
    directory = root / "agencies"
    directory.mkdir(parents=True, exist_ok=True)
    text = (
        content if isinstance(content, str) else yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
    )
    path = directory / file_name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(ValidationFailed) as caught:
        load_desired_state(root)
    return caught.value.problems


def only(problems: list[Problem], field: str) -> Problem:
    found = [p for p in problems if p.field == field]
    assert len(found) == 1, problems
    return found[0]


# --- A valid tree ---------------------------------------------------------------------------


def test_valid_tree_builds_the_model_with_defaults(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", agency())
    write(tmp_path, "stc.yml", agency("stc", name="Sở Tài chính", departments=[], people=[person("CB-2")]))
    state = load_desired_state(tmp_path)
    assert [a.abbreviation for a in state.agencies] == ["stc", "stttt"]  # sorted
    stttt = state.find_agency("stttt")
    assert stttt is not None and stttt.mailbox is True  # agencies default to a mailbox
    assert stttt.source.endswith("agencies/stttt.yml")
    assert stttt.departments[0].agency == "stttt"
    dung = state.find_person("CB-2017-000001")
    assert dung is not None
    assert (dung.name.family, dung.name.middle, dung.name.given) == (("Nguyễn",), ("Văn",), ("Dũng",))
    assert dung.rank == 0 and dung.state == "active" and dung.systems == frozenset({"exchange", "obm"})
    assert dung.requested_on == date(2017, 8, 1) and dung.department is None and dung.agency == "stttt"
    assert state.find_person("nobody") is None
    assert state.count_people() == {"active": 2, "disabled": 0, "removed": 0}


def test_department_mailbox_defaults_to_false(tmp_path: Path) -> None:
    write(
        tmp_path,
        "stttt.yml",
        agency(departments=[{"abbreviation": "cntt", "name": "Phòng Công nghệ thông tin"}]),
    )
    (department,) = load_desired_state(tmp_path).departments()
    assert department.mailbox is False


def test_address_requests(tmp_path: Path) -> None:
    """Agencies and departments with a mailbox, then active and disabled people (R-10..R-12)."""
    people = [
        person("CB-1", rank=3, department="cntt"),
        person("CB-2", state="disabled", full_name=None, family_name="Niê", given_name="H'Maryam"),
        person("CB-3", state="removed"),
    ]
    departments = [
        {"abbreviation": "cntt", "name": "Phòng Công nghệ thông tin", "mailbox": True},
        {"abbreviation": "vanphong", "name": "Văn phòng", "mailbox": False},
    ]
    write(tmp_path, "stttt.yml", agency(departments=departments, people=people))
    write(tmp_path, "stc.yml", agency("stc", name="Sở Tài chính", mailbox=False, departments=[], people=[]))
    requests = load_desired_state(tmp_path).address_requests()
    assert requests == [
        {"id": "agency/stttt", "kind": "agency", "abbreviation": "stttt"},
        {"id": "department/stttt/cntt", "kind": "department", "abbreviation": "cntt", "agency": "stttt"},
        {
            "id": "CB-1",
            "kind": "person",
            "family_name": "Nguyễn",
            "middle_name": "Văn",
            "given_name": "Dũng",
            "rank": 3,
            "requested_on": "2017-08-01",
            "agency": "stttt",
        },
        {
            "id": "CB-2",
            "kind": "person",
            "family_name": "Niê",
            "given_name": "H'Maryam",
            "rank": 0,
            "requested_on": "2017-08-01",
            "agency": "stttt",
        },
    ]


def test_holder_ids_live_in_one_place() -> None:
    assert agency_holder_id("stttt") == "agency/stttt"
    assert department_holder_id("stttt", "thanhtra") == "department/stttt/thanhtra"


def test_decomposed_and_spaced_names_give_the_same_person_name(tmp_path: Path) -> None:
    """R-15: the same person always gives the same name, whatever shape the text came in."""
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn Dũng ")
    write(tmp_path, "stttt.yml", agency(people=[person("CB-1"), person("CB-2", full_name=decomposed)]))
    state = load_desired_state(tmp_path)
    assert state.find_person("CB-1").name == state.find_person("CB-2").name  # type: ignore[union-attr]


def test_empty_agencies_directory_is_an_empty_city(tmp_path: Path) -> None:
    (tmp_path / "agencies").mkdir()
    (tmp_path / "agencies" / ".keep").write_text("")
    state = load_desired_state(tmp_path)
    assert state.agencies == () and state.address_requests() == []


def test_loader_never_writes(tmp_path: Path) -> None:
    path = write(tmp_path, "stttt.yml", agency())
    before = sorted(p.name for p in tmp_path.rglob("*")), path.read_bytes()
    load_desired_state(tmp_path)
    assert (sorted(p.name for p in tmp_path.rglob("*")), path.read_bytes()) == before


# --- YAML -----------------------------------------------------------------------------------


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", "abbreviation: stttt\nname: [unclosed\npeople: []\n")
    (problem,) = problems_of(tmp_path)
    assert problem.source.endswith("agencies/stttt.yml")
    assert problem.entry.startswith("line ") and "invalid YAML" in problem.message


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", "abbreviation: stttt\nname: Sở Thông tin và Truyền thông\nname: x\n")
    (problem,) = problems_of(tmp_path)
    assert problem.entry == "line 3, column 1"
    assert "duplicate key 'name' (first on line 2)" in problem.message


def test_empty_file_is_a_problem(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", "---\n")
    (problem,) = problems_of(tmp_path)
    assert "empty" in problem.message


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "stttt.yml", "")
    path.write_bytes("abbreviation: stttt\nname: Sở\n".encode("utf-16"))
    (problem,) = problems_of(tmp_path)
    assert "UTF-8" in problem.message


def test_dates_stay_text_and_impossible_dates_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", "abbreviation: stttt\nname: Sở Tài chính\npeople:\n"
          "  - {id: CB-1, full_name: Nguyễn Văn Dũng, requested_on: 2017-02-30}\n")  # fmt: skip
    problem = only(problems_of(tmp_path), "requested_on")
    assert problem.entry == "people[0] (id CB-1)" and "not a date" in problem.message


# --- Schema ---------------------------------------------------------------------------------


def test_schema_errors_name_file_entry_and_field(tmp_path: Path) -> None:
    people = [
        person("CB-1"),
        person("CB-0042", rank="high", state="gone", systems=["exchange", "gmail"], requested_on=None),
    ]
    write(tmp_path, "stttt.yml", agency(people=people))
    problems = problems_of(tmp_path)
    assert {(p.entry, p.field) for p in problems} == {
        ("people[1] (id CB-0042)", "rank"),
        ("people[1] (id CB-0042)", "state"),
        ("people[1] (id CB-0042)", "systems[1]"),
        ("people[1] (id CB-0042)", "requested_on"),
    }
    assert only(problems, "requested_on").message == "is required"
    assert "must be one of active, disabled, removed, not 'gone'" in only(problems, "state").message
    assert str(only(problems, "rank")).startswith(str(tmp_path / "agencies" / "stttt.yml") + ": people[1]")


def test_top_level_schema_errors(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", {"abbreviation": "stttt", "mailbox": "yes", "people": {}})
    problems = problems_of(tmp_path)
    assert {(p.entry, p.field) for p in problems} == {("", "name"), ("", "mailbox"), ("", "people")}


def test_a_person_needs_a_name(tmp_path: Path) -> None:
    write(
        tmp_path,
        "stttt.yml",
        agency(people=[person("CB-1", full_name=None), person("CB-2", family_name="Lê")]),
    )
    problems = problems_of(tmp_path)
    assert "a name is needed" in next(p for p in problems if p.entry.startswith("people[0]")).message
    (partial,) = [p for p in problems if p.entry.startswith("people[1]")]  # reported once, not twice
    assert "given_name" in partial.message


@pytest.mark.parametrize(
    ("field", "value"),
    [("id", "CB/2017/1"), ("id", ""), ("abbreviation", "Sở-TC"), ("department", "Phòng CNTT")],
)
def test_patterns(tmp_path: Path, field: str, value: str) -> None:
    if field == "abbreviation":
        write(tmp_path, "stttt.yml", agency(departments=[{"abbreviation": value, "name": "Phòng Thanh tra"}]))
    else:
        write(tmp_path, "stttt.yml", agency(people=[person(**{field: value})]))
    problems = problems_of(tmp_path)
    assert any(p.field == field and "is not valid" in p.message for p in problems), problems


def test_unknown_key_lists_the_allowed_keys(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", agency(people=[person(email="dung@example.org")]))
    problem = only(problems_of(tmp_path), "email")
    assert problem.message.startswith("unknown key (allowed: id, full_name")


@pytest.mark.parametrize("key", ["birth_date", "phone"])
def test_personal_data_is_refused_and_points_to_the_vault(tmp_path: Path, key: str) -> None:
    """R-43 data must not sit in plain git."""
    write(tmp_path, "stttt.yml", agency(people=[person(**{key: "1980-01-01"})]))
    problem = only(problems_of(tmp_path), key)
    assert problem.entry == "people[0] (id CB-2017-000001)"
    assert "personal_data.vault.yml" in problem.message and "R-43" in problem.message


# --- Rules across entries and files -----------------------------------------------------------


def test_file_name_must_be_the_abbreviation(tmp_path: Path) -> None:
    write(tmp_path, "sttt.yml", agency())
    problem = only(problems_of(tmp_path), "abbreviation")
    assert "must be named stttt.yml" in problem.message


def test_files_other_than_yml_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", agency())
    write(tmp_path, "stc.yaml", agency("stc", people=[]))
    (problem,) = problems_of(tmp_path)
    assert problem.source.endswith("stc.yaml") and "<abbreviation>.yml" in problem.message


def test_duplicate_agency_abbreviation(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", agency())
    write(tmp_path, "stttt2.yml", agency(people=[person("CB-9")]))
    problems = problems_of(tmp_path)
    duplicate = [p for p in problems if "duplicate agency" in p.message]
    assert len(duplicate) == 1 and "stttt.yml" in duplicate[0].message
    assert duplicate[0].source.endswith("stttt2.yml")


def test_duplicate_person_id_names_both_files(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", agency(people=[person("CB-1"), person("CB-2")]))
    write(tmp_path, "stc.yml", agency("stc", name="Sở Tài chính", departments=[], people=[person("CB-2")]))
    (problem,) = problems_of(tmp_path)
    # stc.yml sorts first, so the stttt.yml entry is the duplicate; both files are named.
    assert problem.source.endswith("stttt.yml") and problem.entry == "people[1] (id CB-2)"
    assert "stc.yml people[0] (id CB-2)" in problem.message


def test_duplicate_department_within_an_agency(tmp_path: Path) -> None:
    departments = [
        {"abbreviation": "thanhtra", "name": "Phòng Thanh tra"},
        {"abbreviation": "thanhtra", "name": "Thanh tra Sở"},
    ]
    write(tmp_path, "stttt.yml", agency(departments=departments))
    (problem,) = problems_of(tmp_path)
    assert problem.entry == "departments[1] (abbreviation thanhtra)"
    assert "also departments[0]" in problem.message


def test_same_department_in_two_agencies_is_fine(tmp_path: Path) -> None:
    """R-11: the allocator gives them thanhtra-<agency>@; the loader accepts it."""
    tt = [{"abbreviation": "thanhtra", "name": "Phòng Thanh tra", "mailbox": True}]
    write(tmp_path, "stttt.yml", agency(departments=tt, people=[]))
    write(tmp_path, "stc.yml", agency("stc", name="Sở Tài chính", departments=tt, people=[]))
    ids = [r["id"] for r in load_desired_state(tmp_path).address_requests() if r["kind"] == "department"]
    assert ids == ["department/stc/thanhtra", "department/stttt/thanhtra"]


def test_unknown_department(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", agency(people=[person(department="thanhtra")]))
    problem = only(problems_of(tmp_path), "department")
    assert "unknown department 'thanhtra' (this agency has: cntt)" in problem.message


# --- Vietnamese text (R-12, R-15) -----------------------------------------------------------


def test_invalid_full_name_is_reported_on_its_field(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", agency(people=[person(full_name="Иван Петров")]))
    problem = only(problems_of(tmp_path), "full_name")
    assert problem.entry == "people[0] (id CB-2017-000001)"


def test_invalid_explicit_part_is_reported_on_its_field(tmp_path: Path) -> None:
    entry = person(full_name=None, family_name="Niê", given_name="Иван")
    write(tmp_path, "stttt.yml", agency(people=[entry]))
    problems = problems_of(tmp_path)
    assert [p.field for p in problems] == ["given_name"]


def test_invalid_agency_and_department_names(tmp_path: Path) -> None:
    departments = [{"abbreviation": "cntt", "name": "Отдел"}]
    write(tmp_path, "stttt.yml", agency(name="Министерство", departments=departments, people=[]))
    problems = problems_of(tmp_path)
    assert {(p.entry, p.field) for p in problems} == {
        ("", "name"),
        ("departments[0] (abbreviation cntt)", "name"),
    }


@pytest.mark.parametrize(("text", "encoding"), [(TCVN3_NAME, "TCVN3"), (VNI_NAME, "VNI")])
def test_one_legacy_name_refuses_the_whole_import(tmp_path: Path, text: str, encoding: str) -> None:
    """TCVN3/VNI words can read as valid Vietnamese: one legacy name makes every name suspect."""
    write(tmp_path, "stttt.yml", agency(people=[person("CB-1"), person("CB-2", full_name=text)]))
    write(tmp_path, "stc.yml", agency("stc", name="Sở Tài chính", departments=[], people=[person("CB-3")]))
    problems = problems_of(tmp_path)
    assert len(problems) == 2
    named = only(problems, "full_name")
    assert named.entry == "people[1] (id CB-2)" and encoding in named.message
    refusal = only(problems, "")
    assert refusal.source == str(tmp_path)
    assert "whole import is refused" in refusal.message and encoding in refusal.message
    assert "stttt.yml people[1] (id CB-2) full_name" in refusal.message


# --- All at once ----------------------------------------------------------------------------


def test_every_problem_in_every_file_is_reported_together(tmp_path: Path) -> None:
    write(tmp_path, "stttt.yml", agency(people=[person("CB-1", rank=-1, department="nope")]))
    write(tmp_path, "stc.yml", agency("stc", name="Sở Tài chính", departments=[], people=[person("CB-1")]))
    write(tmp_path, "snv.yml", "abbreviation: snv\nname: Sở Nội vụ\nname: again\n")
    write(
        tmp_path,
        "sxd.yml",
        agency("sxd", name="Sở Xây dựng", departments=[], people=[person("CB-5", phone="0905")]),
    )
    problems = problems_of(tmp_path)
    where = {(Path(p.source).name, p.field) for p in problems}
    assert where == {
        ("stttt.yml", "rank"),
        ("stttt.yml", "department"),
        ("stttt.yml", "id"),  # CB-1 first seen in stc.yml
        ("snv.yml", "name"),  # the duplicate key
        ("sxd.yml", "phone"),
    }
    assert problems == sorted(problems)


def test_missing_agencies_directory(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path)
    assert "no agencies/ directory" in problem.message


def test_missing_jsonschema_is_reported_at_the_edge(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(loader, "HAS_JSONSCHEMA", False)
    monkeypatch.setattr(loader, "JSONSCHEMA_IMPORT_ERROR", "Traceback: No module named 'jsonschema'")
    with pytest.raises(MissingLibrary) as caught:
        load_desired_state(tmp_path)
    assert caught.value.name == "jsonschema" and "No module" in (caught.value.import_traceback or "")


# --- The committed trees and schema exports --------------------------------------------------


@pytest.mark.skipif(not LAB.is_dir(), reason="runs from the repository only")
def test_lab_inventory_loads_clean() -> None:
    state = load_desired_state(LAB)
    assert {a.abbreviation for a in state.agencies} >= {"stttt", "stc", "sxd", "snv", "ubndhc"}
    counts = state.count_people()
    assert sum(counts.values()) >= 55 and counts["disabled"] >= 1 and counts["removed"] >= 1
    people = state.people()
    assert any(p.systems == frozenset({"obm"}) for p in people)
    dung = [p for p in people if p.name.given == ("Dũng",) and p.name.middle == ("Văn",)]
    assert {p.name.family for p in dung} >= {("Nguyễn",), ("Ngô",)} and len(dung) >= 3
    assert len({p.requested_on for p in dung}) == len(dung)  # different days
    assert any(p.name.family == ("Niê",) and p.name.given == ("H'Maryam",) for p in people)
    assert any(len(p.name.family) == 2 for p in people) and any(len(p.name.given) == 2 for p in people)
    ids = {r["id"] for r in state.address_requests()}
    assert {"agency/stttt", "department/stttt/thanhtra", "department/stc/thanhtra"} <= ids
    removed = {p.id for p in state.people(["removed"])}
    assert removed and not removed & ids


@pytest.mark.skipif(not LAB.is_dir(), reason="runs from the repository only")
def test_lab_files_carry_the_schema_modeline() -> None:
    for path in sorted((LAB / "agencies").glob("*.yml")):
        first, second = path.read_text(encoding="utf-8").splitlines()[:2]
        assert first.endswith(
            "collections/ansible_collections/danang/mail/schemas/desired_state.agency.schema.json"
        )
        assert second == "---"


@pytest.mark.skipif(not PRODUCTION.is_dir(), reason="runs from the repository only")
def test_production_skeleton_loads_empty() -> None:
    assert load_desired_state(PRODUCTION).agencies == ()
