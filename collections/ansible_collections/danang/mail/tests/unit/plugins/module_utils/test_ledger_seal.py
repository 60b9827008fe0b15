# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A lost, cut or edited ledger is refused, never read as new: no address is issued twice (R-03)."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils.ledger import (
    Ledger,
    LedgerEntry,
    appended_text,
    load_ledger,
    sealed_entries,
)
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed

EXAMPLE = Path(__file__).resolve().parents[8] / "inventories" / "lab" / "desired_state" / "ledger.yml"
ENTRY = "  {0}@danang.gov.vn: {{kind: person, id: {1}, issued_on: 2026-11-29, status: active}}\n"


def one_message(exc: pytest.ExceptionInfo[ValidationFailed]) -> str:
    [problem] = exc.value.problems
    return problem.message


def read_cut(data: bytes, path: str) -> tuple[LedgerEntry, ...] | None:
    """The entries ``load_ledger`` reads from ``data``, or None when it refuses it (in memory)."""
    try:
        return sealed_entries(data.decode("utf-8"), path)
    except (UnicodeDecodeError, ValidationFailed):  # load_ledger refuses both
        return None


def test_every_cut_of_the_example_ledger_is_refused_or_whole():
    """Cut the committed ledger at every byte: each cut is either refused or still yields every
    entry. Before the seal, 605 of 8,520 cuts read cleanly with entries missing, and those
    addresses would have been issued again."""
    data = EXAMPLE.read_bytes()
    whole = load_ledger(str(EXAMPLE)).entries
    assert len(whole) > 50
    started = time.monotonic()
    cuts = {offset: read_cut(data[:offset], str(EXAMPLE)) for offset in range(len(data))}
    lost = [(offset, len(entries)) for offset, entries in cuts.items() if entries not in (None, whole)]
    assert lost == [], f"{len(lost)} cuts read with entries lost, first {lost[:5]}"
    assert [offset for offset, entries in cuts.items() if entries] == [len(data) - 1]  # the final newline
    assert time.monotonic() - started < 30  # bounded: 0.3 s for 8,706 cuts on a 2-core machine


def test_every_line_boundary_cut_of_the_example_ledger_is_refused_from_the_file(tmp_path):
    """The same through the file, at every line boundary: where 0-byte files and ``addresses:``
    with no entries used to read as a new ledger."""
    data = EXAMPLE.read_bytes()
    path = tmp_path / "ledger.yml"
    boundaries = [0] + [n + 1 for n, byte in enumerate(data[:-1]) if byte == ord("\n")]
    assert len(boundaries) == data.count(b"\n")
    read = []
    for offset in boundaries:
        path.write_bytes(data[:offset])
        with contextlib.suppress(ValidationFailed):
            read.append((offset, len(load_ledger(str(path)).entries)))
    assert read == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "is empty"),
        ("\n\n", "is empty"),
        ("addresses:\n", "has no seal line"),
        ("addresses: {}\n", "has no seal line"),
        ("# only a comment\n", "has no seal line"),
        ("addresses:\n" + ENTRY.format("a", "A"), "has no seal line"),  # written before seals
        ("addresses:\n" + ENTRY.format("a", "A") + "# seal: 1 entr", "has a damaged seal line"),
        (
            "addresses:\n" + ENTRY.format("a", "A") + "# seal: 1 entries, sha256 ab12",
            "has a damaged seal line",
        ),
    ],
)
def test_empty_unsealed_and_cut_ledgers_are_refused_naming_file_and_repair(tmp_path, text, fragment):
    path = tmp_path / "ledger.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        load_ledger(str(path))
    message = one_message(exc)
    assert f"the ledger {path} {fragment}" in message
    assert "could issue an address again" in message
    assert f"restore it from git (git log -p -- {path})" in message
    assert "ledger_reseal: true" in message
    assert exc.value.problems[0].source == str(path)


def test_missing_ledger_is_refused_unless_started_with_new(tmp_path):
    path = tmp_path / "ledger.yml"
    with pytest.raises(ValidationFailed) as exc:
        load_ledger(str(path))
    assert "does not exist (a new environment starts it once with ledger_new: true)" in one_message(exc)
    assert not load_ledger(str(path), new=True).exists


def test_new_is_refused_when_a_ledger_exists_even_an_empty_one(tmp_path):
    path = tmp_path / "ledger.yml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        load_ledger(str(path), new=True)
    assert "already exists: ledger_new only starts a ledger where there is none" in one_message(exc)


def sealed_ledger(path: Path, count: int) -> str:
    entries = [LedgerEntry(f"p{n}@danang.gov.vn", "person", f"CB-{n}", EXAMPLE_DAY) for n in range(count)]
    text = appended_text(Ledger(str(path), (), None), entries)
    path.write_text(text, encoding="utf-8")
    return text


EXAMPLE_DAY = load_ledger(str(EXAMPLE)).entries[0].issued_on


@pytest.mark.parametrize(
    ("damage", "fragment"),
    [
        (lambda t: t.replace(ENTRY.format("p1", "CB-1"), ""), "holds 2 entries but its seal says 3"),
        (lambda t: t.replace("id: CB-1,", "id: CB-9,"), "differ from the sealed ones"),
        (
            lambda t: t.replace("status: active}\n# seal", "status: disabled}\n# seal"),
            "differ from the sealed",
        ),
        (lambda t: t + ENTRY.format("p3", "CB-3"), "has lines after its seal line"),
        (lambda t: t + t[t.index("# seal") :], "has 2 seal lines"),
        (lambda t: t + "\n", "has lines after its seal line"),
    ],
)
def test_lost_added_or_edited_entries_are_refused(tmp_path, damage, fragment):
    path = tmp_path / "ledger.yml"
    path.write_text(damage(sealed_ledger(path, 3)), encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        load_ledger(str(path))
    assert fragment in one_message(exc)


def test_seal_ignores_comments_quoting_and_line_endings(tmp_path):
    path = tmp_path / "ledger.yml"
    text = (
        sealed_ledger(path, 2).replace("id: CB-1,", 'id: "CB-1",').replace("# The address", "# Our address")
    )
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    assert [e.id for e in load_ledger(str(path)).entries] == ["CB-0", "CB-1"]


def test_reseal_accepts_a_checked_ledger_and_the_result_is_sealed(tmp_path):
    path = tmp_path / "ledger.yml"
    legacy = "# kept\naddresses:\n" + ENTRY.format("a", "A") + ENTRY.format("b", "B")
    path.write_text(legacy, encoding="utf-8")
    ledger = load_ledger(str(path), reseal=True)
    assert [e.id for e in ledger.entries] == ["A", "B"]
    text = appended_text(ledger, ())
    assert text.startswith(legacy)
    assert text.count("\n") == legacy.count("\n") + 1
    path.write_text(text, encoding="utf-8")
    assert load_ledger(str(path)).entries == ledger.entries


@pytest.mark.parametrize("text", ["", "addresses:\n", "addresses: {}\n"])
def test_reseal_never_seals_an_empty_ledger(tmp_path, text):
    path = tmp_path / "ledger.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        load_ledger(str(path), reseal=True)
    assert "has no entry to seal: remove it and start a new one with ledger_new" in one_message(exc)


def test_reseal_still_refuses_a_malformed_ledger(tmp_path):
    path = tmp_path / "ledger.yml"
    path.write_text("addresses:\n  a@danang.gov.vn: {kind: robot}\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="must be one of"):
        load_ledger(str(path), reseal=True)
