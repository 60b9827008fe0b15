# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ledger file: load, refuse duplicates and malformed entries, append-only atomic write, lock."""

from __future__ import annotations

import datetime
import os
import threading
import time

import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils import ledger_file
from ansible_collections.danang.mail.plugins.module_utils.ledger import (
    HEADER,
    Ledger,
    LedgerEntry,
    appended_text,
    load_ledger,
    parse_ledger,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import (
    ledger_lock,
    lock_path,
    write_text_atomically,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger_seal import seal_line
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from hypothesis import given
from hypothesis import strategies as st

DAY = datetime.date(2026, 11, 29)
TEXT = """\
# header kept as written
addresses:
  dungnv@danang.gov.vn: {kind: person, id: CB-0001, issued_on: 2026-11-29, status: active}
  stttt@danang.gov.vn: {kind: agency, id: CQ-01, issued_on: 2026-11-28, status: disabled}
  cntt@danang.gov.vn: {kind: department, id: PB-01, issued_on: 2026-11-28, status: reclaimed, abbreviation: cntt, agency: stttt}
"""  # noqa: E501
SEALED = TEXT + seal_line(parse_ledger(TEXT, "ledger.yml"))


def append(ledger: Ledger, entries) -> None:
    """What address_alloc does with its new entries: the appended text, written atomically."""
    write_text_atomically(ledger.path, appended_text(ledger, entries))


def person(address: str, holder: str, status: str = "active") -> LedgerEntry:
    return LedgerEntry(address=address, kind="person", id=holder, issued_on=DAY, status=status)


def messages(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_load_reads_every_kind_in_file_order(tmp_path):
    path = tmp_path / "ledger.yml"
    path.write_text(SEALED, encoding="utf-8")
    ledger = load_ledger(str(path))
    assert [e.address for e in ledger.entries] == [
        "dungnv@danang.gov.vn",
        "stttt@danang.gov.vn",
        "cntt@danang.gov.vn",
    ]
    assert ledger.entries[0] == person("dungnv@danang.gov.vn", "CB-0001")
    assert ledger.entries[2].abbreviation == "cntt"
    assert ledger.entries[2].agency == "stttt"
    assert ledger.entries[2].status == "reclaimed"
    assert ledger.entries[1].issued_on == datetime.date(2026, 11, 28)
    assert ledger.text == SEALED


def test_missing_ledger_started_with_new_is_empty_and_not_created(tmp_path):
    path = tmp_path / "ledger.yml"
    ledger = load_ledger(str(path), new=True)
    assert ledger.entries == ()
    assert not ledger.exists
    assert not path.exists()


def test_missing_directory_is_refused(tmp_path):
    with pytest.raises(ValidationFailed, match="does not exist"):
        load_ledger(str(tmp_path / "typo" / "ledger.yml"))


@pytest.mark.parametrize("text", ["", "# only a comment\n", "addresses:\n", "addresses: {}\n"])
def test_empty_ledgers(text):
    assert parse_ledger(text, "ledger.yml") == ()


def test_duplicate_keys_refuse_the_file_naming_file_and_key(tmp_path):
    path = tmp_path / "ledger.yml"
    path.write_text(
        TEXT
        + "  dungnv@danang.gov.vn: {kind: person, id: CB-0009, issued_on: 2026-11-30, status: active}\n"
        + seal_line(parse_ledger(TEXT, "ledger.yml")),
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as exc:
        load_ledger(str(path))
    [problem] = exc.value.problems
    assert problem.source == str(path)
    assert problem.field == "dungnv@danang.gov.vn"
    assert "duplicate key" in problem.message
    assert "line 6" in problem.entry


def test_duplicate_key_inside_an_entry_is_refused():
    text = "addresses:\n  a@x.vn: {kind: person, id: A, id: B, issued_on: 2026-11-29, status: active}\n"
    with pytest.raises(ValidationFailed, match="duplicate key"):
        parse_ledger(text, "ledger.yml")


@pytest.mark.parametrize(
    ("entry", "field", "fragment"),
    [
        ("{kind: robot, id: A, issued_on: 2026-11-29, status: active}", "kind", "must be one of"),
        ("{kind: person, issued_on: 2026-11-29, status: active}", "id", "missing"),
        ("{kind: person, id: 12, issued_on: 2026-11-29, status: active}", "id", "non-empty string"),
        ("{kind: person, id: A, issued_on: 29/11/2026, status: active}", "issued_on", "YYYY-MM-DD"),
        ("{kind: person, id: A, issued_on: 2026-11-29, status: gone}", "status", "must be one of"),
        ("{kind: person, id: A, issued_on: 2026-11-29, status: active, rank: 3}", "rank", "unknown"),
        ("{kind: department, id: A, issued_on: 2026-11-29, status: active}", "abbreviation", "missing"),
        ("[person, A]", "", "must be a mapping"),
    ],
)
def test_malformed_entries_are_refused(entry, field, fragment):
    with pytest.raises(ValidationFailed) as exc:
        parse_ledger(f"addresses:\n  a@danang.gov.vn: {entry}\n", "ledger.yml")
    assert any(p.field == field and fragment in p.message for p in exc.value.problems), messages(exc)


@pytest.mark.parametrize(
    "text",
    [
        "addresses:\n  Dung@danang.gov.vn: {kind: person, id: A, issued_on: 2026-11-29, status: active}\n",
        "addresses:\n  dungnv: {kind: person, id: A, issued_on: 2026-11-29, status: active}\n",
        "addresses: [a, b]\n",
        "people: {}\n",
        "addresses: {\n",
    ],
)
def test_malformed_ledgers_are_refused(text):
    with pytest.raises(ValidationFailed):
        parse_ledger(text, "ledger.yml")


def test_one_holder_cannot_hold_two_addresses():
    text = (
        "addresses:\n"
        "  a@danang.gov.vn: {kind: person, id: CB-1, issued_on: 2026-11-29, status: active}\n"
        "  b@danang.gov.vn: {kind: agency, id: CB-1, issued_on: 2026-11-29, status: active}\n"
    )
    with pytest.raises(ValidationFailed, match=r"already holds a@danang\.gov\.vn"):
        parse_ledger(text, "ledger.yml")


def test_lines_are_one_flow_mapping_and_read_back():
    entries = (
        person("dungnv@danang.gov.vn", "CB-0001"),
        person("x@danang.gov.vn", "0012"),  # would read as an int (or octal) unquoted
        person("y@danang.gov.vn", "true"),
        person("z@danang.gov.vn", "id, with: {odd} characters #"),
        LedgerEntry("thanhtra-stttt@danang.gov.vn", "department", "PB-7", DAY, "active", "thanhtra", "stttt"),
    )
    assert entries[0].to_line() == (
        "  dungnv@danang.gov.vn: {kind: person, id: CB-0001, issued_on: 2026-11-29, status: active}\n"
    )
    assert entries[4].to_line().endswith("status: active, abbreviation: thanhtra, agency: stttt}\n")
    text = appended_text(Ledger("ledger.yml", (), None), entries)
    assert all(line.count("\n") == 1 for line in (e.to_line() for e in entries))
    assert parse_ledger(text, "ledger.yml") == entries


@given(st.text(min_size=1).filter(lambda s: s.isprintable() and s == s.strip()))
def test_any_printable_id_reads_back_unchanged(holder):  # allocation refuses other ids
    entry = person("a@danang.gov.vn", holder)
    assert entry.to_line().count("\n") == 1
    assert parse_ledger("addresses:\n" + entry.to_line(), "ledger.yml") == (entry,)


def test_new_ledger_gets_header_block_and_seal():
    entry = person("a@danang.gov.vn", "A")
    text = appended_text(Ledger("ledger.yml", (), None), [entry])
    assert text.startswith(HEADER)
    assert text.endswith("addresses:\n" + entry.to_line() + seal_line([entry]))
    assert seal_line([entry]).startswith("# seal: 1 entries, sha256 ")


def test_append_keeps_old_text_byte_for_byte_and_renews_the_seal(tmp_path):
    path = tmp_path / "ledger.yml"
    path.write_text(SEALED, encoding="utf-8")
    ledger = load_ledger(str(path))
    new = [person("zz@danang.gov.vn", "B"), person("aa@danang.gov.vn", "C")]
    append(ledger, new)
    text = path.read_text(encoding="utf-8")
    # appended, never reordered; only the seal line moves to the end
    assert text == TEXT + new[0].to_line() + new[1].to_line() + seal_line(ledger.entries + tuple(new))
    assert load_ledger(str(path)).entries == ledger.entries + tuple(new)


def test_append_to_text_without_final_newline_or_with_empty_flow_mapping(tmp_path):
    path = tmp_path / "ledger.yml"
    for text in (TEXT.rstrip("\n"), "# mine\naddresses: {}\n", "addresses:\n"):
        path.write_text(text, encoding="utf-8")
        ledger = Ledger(str(path), parse_ledger(text, str(path)), text)  # as before seals existed
        append(ledger, [person("new@danang.gov.vn", "NEW")])
        reread = load_ledger(str(path))
        assert reread.entries == (*ledger.entries, person("new@danang.gov.vn", "NEW"))
        assert reread.text.startswith(text.replace(" {}", ""))


def test_ledger_that_cannot_be_appended_is_refused_not_rewritten(tmp_path):
    path = tmp_path / "ledger.yml"
    text = "addresses: {a@danang.gov.vn: {kind: person, id: A, issued_on: 2026-11-29, status: active}}\n"
    path.write_text(text, encoding="utf-8")
    ledger = Ledger(str(path), parse_ledger(text, str(path)), text)
    with pytest.raises(ValidationFailed, match="cannot append"):
        append(ledger, [person("b@danang.gov.vn", "B")])
    assert path.read_text(encoding="utf-8") == text


def test_write_is_atomic_rename_and_keeps_mode(tmp_path, monkeypatch):
    path = tmp_path / "ledger.yml"
    path.write_text(SEALED, encoding="utf-8")
    os.chmod(path, 0o640)
    replaced = []
    real_replace = os.replace
    monkeypatch.setattr(ledger_file.os, "replace", lambda a, b: (replaced.append((a, b)), real_replace(a, b)))
    append(load_ledger(str(path)), [person("b@danang.gov.vn", "B")])
    [(temporary, target)] = replaced
    assert target == str(path)
    assert os.path.dirname(temporary) == str(tmp_path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["ledger.yml"]  # no temporary left behind


def test_failed_write_leaves_ledger_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ledger.yml"
    path.write_text(SEALED, encoding="utf-8")

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(ledger_file.os, "replace", fail)
    with pytest.raises(OSError):
        append(load_ledger(str(path)), [person("b@danang.gov.vn", "B")])
    assert path.read_text(encoding="utf-8") == SEALED
    assert sorted(os.listdir(tmp_path)) == ["ledger.yml"]


def test_created_ledger_is_valid_yaml(tmp_path):
    path = tmp_path / "ledger.yml"
    append(load_ledger(str(path), new=True), [person("a@danang.gov.vn", "A")])
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data == {
        "addresses": {"a@danang.gov.vn": {"kind": "person", "id": "A", "issued_on": DAY, "status": "active"}}
    }


def test_created_ledger_passes_yamllint_strict_even_with_long_lines():
    linter = pytest.importorskip("yamllint.linter")
    config = pytest.importorskip("yamllint.config")
    holder = "department/" + "x" * 150
    long = LedgerEntry("thanhtra-stttt@danang.gov.vn", "department", holder, DAY, "active", "a", "b")
    text = appended_text(Ledger("ledger.yml", (), None), [person("a@danang.gov.vn", "A"), long])
    rules = config.YamlLintConfig("extends: default\nrules: {line-length: {max: 160}}\n")
    assert list(linter.run(text, rules)) == []


def test_lock_file_is_a_sibling(tmp_path):
    path = tmp_path / "ledger.yml"
    with ledger_lock(str(path)):
        assert os.path.exists(lock_path(str(path)))
    assert lock_path(str(path)) == f"{path}.lock"


def test_lock_is_exclusive_between_threads(tmp_path):
    path = str(tmp_path / "ledger.yml")
    events: list[str] = []
    inside = threading.Event()

    def second() -> None:
        with ledger_lock(path):
            events.append("second")

    with ledger_lock(path):
        thread = threading.Thread(target=second)
        thread.start()
        inside.wait(0.3)
        events.append("first done")
    thread.join(5)
    assert events == ["first done", "second"]


def test_lock_timeout(tmp_path):
    path = str(tmp_path / "ledger.yml")
    with ledger_lock(path):
        start = time.monotonic()
        errors: list[BaseException] = []

        def waiter() -> None:
            try:
                with ledger_lock(path, timeout=0.2, poll=0.05):
                    pass
            except TimeoutError as exc:
                errors.append(exc)

        thread = threading.Thread(target=waiter)
        thread.start()
        thread.join(5)
    assert len(errors) == 1
    assert "held by another run" in str(errors[0])
    assert time.monotonic() - start >= 0.2
