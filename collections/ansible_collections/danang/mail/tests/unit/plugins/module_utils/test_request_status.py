# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request records read with the desired state, their status (R-22) and their closing."""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils.desired_state import load_desired_state
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    Item,
    RequestRecord,
    load_records,
    record_text,
)
from ansible_collections.danang.mail.plugins.module_utils.request_status import statuses, to_close

LAB = Path(__file__).resolve().parents[8] / "inventories" / "lab" / "desired_state"
RECEIVED = datetime.date(2026, 12, 7)  # a Monday
DUE = datetime.date(2026, 12, 8)
REQUESTER = {"name": "Trần Thị Bình", "email": "vanthu-stttt@danang.gov.vn"}


def record(n: int = 1, *items: Item, agency: str = "stttt", **extra: object) -> RequestRecord:
    items = items or (Item("new", id="CB-2017-000101"),)
    rid = f"{RECEIVED.isoformat()}-{agency}-{n}"
    return RequestRecord(rid, "01", agency, RECEIVED, DUE, REQUESTER, items, **extra)  # type: ignore[arg-type]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "desired_state"
    shutil.copytree(LAB, root)
    (root / "requests").mkdir()
    return root


def write(root: Path, *records: RequestRecord) -> None:
    for found in records:
        (root / "requests" / found.file_name).write_text(record_text(found), encoding="utf-8")


def load(root: Path) -> tuple[RequestRecord, ...]:
    return load_records(str(root), load_desired_state(root))


def problems(root: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as exc:
        load(root)
    return [str(p) for p in exc.value.problems]


def test_no_requests_directory_is_no_request(tree: Path) -> None:
    os.rmdir(tree / "requests")
    assert load(tree) == ()


def test_records_read_back_sorted(tree: Path) -> None:
    second = record(2, Item("mailbox", holder="department/stttt/cntt"), Item("cancel", id="CB-2017-000103"))
    write(tree, second, record(1))
    found = load(tree)
    assert [r.id for r in found] == ["2026-12-07-stttt-1", "2026-12-07-stttt-2"]
    assert found[1] == second and found[1].source == str(tree / "requests" / second.file_name)


def test_records_that_do_not_describe_the_tree_are_refused_with_file_entry_and_field(tree: Path) -> None:
    write(
        tree,
        record(1, agency="nowhere"),
        record(
            2,
            Item("new", id="CB-2019-000301"),  # a person of stc, not of stttt
            Item("mailbox", holder="department/stttt/nope"),
            Item("mailbox", holder="agency/stc"),
        ),
    )
    found = problems(tree)
    requests = tree / "requests"
    assert found == [
        f"{requests}/2026-12-07-nowhere-1.yml: agency: unknown agency 'nowhere'",
        f"{requests}/2026-12-07-stttt-2.yml: items[0]: id: 'CB-2019-000301' is not a person of agency stttt",
        f"{requests}/2026-12-07-stttt-2.yml: items[1]: holder: unknown department 'nope' of agency stttt",
        f"{requests}/2026-12-07-stttt-2.yml: items[2]: holder: agency/stc is not a mailbox of agency stttt",
    ]


def test_hostile_files_in_requests_are_problems_never_read(tree: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yml"
    secret.write_text("id: x\n", encoding="utf-8")
    os.symlink(secret, tree / "requests" / "2026-12-07-stttt-1.yml")
    (tree / "requests" / "notes.txt").write_text("x", encoding="utf-8")
    (tree / "requests" / "2026-12-07-stttt-2.yml").write_text("a: &x 1\nb: *x\n", encoding="utf-8")
    found = "\n".join(problems(tree))
    assert "a symbolic link: request records must be regular files inside the tree" in found
    assert "notes.txt: not a request record: request records are named <id>.yml" in found
    assert "2026-12-07-stttt-2.yml" in found and "secret" not in found


def test_a_record_named_after_another_id_is_refused(tree: Path) -> None:
    (tree / "requests" / "2026-12-07-stttt-9.yml").write_text(record_text(record(1)), encoding="utf-8")
    assert problems(tree) == [
        f"{tree}/requests/2026-12-07-stttt-9.yml: id: the file must be named 2026-12-07-stttt-1.yml"
    ]


HOLDERS = {"CB-2017-000101": "dungnv@danang.gov.vn", "department/stttt/cntt": "cntt@danang.gov.vn"}


def test_status_due_overdue_open_done_and_what_waits() -> None:
    change = Item("change", id="CB-2017-000101", fields=("rank",))
    waiting = record(2, Item("new", id="CB-2026-000999"), change)
    done = record(3, done_on=DUE)
    assert [(s.record.id, s.status, s.waiting) for s in statuses([waiting, done], HOLDERS, RECEIVED)] == [
        ("2026-12-07-stttt-2", "open", ("new CB-2026-000999",)),
        ("2026-12-07-stttt-3", "done", ()),
    ]
    assert statuses([waiting], HOLDERS, DUE)[0].status == "due"
    late = statuses([waiting, record(1)], HOLDERS, DUE + datetime.timedelta(days=1))
    assert [s.status for s in late] == ["overdue", "overdue"]


def test_closing_only_records_whose_items_are_all_applied() -> None:
    applied = record(1, Item("new", id="CB-2017-000101"), Item("mailbox", holder="department/stttt/cntt"))
    change = Item("change", id="CB-2017-000103", fields=("department",))
    changes = record(2, change, Item("cancel", id="CB-1"))
    pending = record(3, Item("new", id="CB-2017-000101"), Item("new", id="CB-2026-000999"))  # not allocated
    no_mailbox = record(4, Item("mailbox", holder="agency/stttt"))
    closed_before = record(5, done_on=RECEIVED)
    closed = to_close([applied, changes, pending, no_mailbox, closed_before], HOLDERS, DUE)
    assert [(r.id, r.done_on) for r in closed] == [("2026-12-07-stttt-1", DUE), ("2026-12-07-stttt-2", DUE)]
    assert to_close(closed, HOLDERS, DUE + datetime.timedelta(days=1)) == []  # closed once


def test_a_closed_record_reads_back_with_done_on(tree: Path) -> None:
    write(tree, record(1))
    (closed,) = to_close(load(tree), HOLDERS, DUE)
    write(tree, closed)
    assert load(tree)[0].done_on == DUE
    text = (tree / "requests" / closed.file_name).read_text(encoding="utf-8")
    assert text.endswith("done_on: 2026-12-08\n")
