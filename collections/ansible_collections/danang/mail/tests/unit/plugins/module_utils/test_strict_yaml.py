# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The strict YAML reader: what it accepts, and refusals that say what to change without echoing the file.

Hostile files end to end (bombs, nesting, links, FIFOs) are in ``hostile/``; these are the
messages and the accepted edge cases.
"""

from __future__ import annotations

import codecs
import datetime
from pathlib import Path

import pytest
from ansible_collections.danang.mail.plugins.module_utils.desired_state import load_desired_state
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger, parse_ledger
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed, excerpt
from ansible_collections.danang.mail.plugins.module_utils.strict_yaml import parse

AGENCY = "abbreviation: stc\nname: Sở Tài chính\n"
SECRET = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKsecretsecretsecret"


def tree(tmp_path: Path, files: dict[str, bytes]) -> Path:
    (tmp_path / "agencies").mkdir()
    for name, content in files.items():
        (tmp_path / "agencies" / name).write_bytes(content)
    return tmp_path


def problems(tmp_path: Path) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        load_desired_state(tmp_path)
    return [str(p) for p in info.value.problems]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    state = load_desired_state(tree(tmp_path, {"stc.yml": codecs.BOM_UTF8 + AGENCY.encode()}))
    assert state.agencies[0].name == "Sở Tài chính"


def test_gitkeep_placeholder_is_accepted_other_hidden_files_are_reported(tmp_path: Path) -> None:
    tree(tmp_path, {"stc.yml": AGENCY.encode(), ".gitkeep": b"", ".stc.yml.swp": b"x"})
    [problem] = problems(tmp_path)
    assert ".stc.yml.swp: a hidden file, not read" in problem


def test_symbolic_link_target_is_neither_read_nor_named(tmp_path: Path) -> None:
    secret = tmp_path / "id_ed25519"
    secret.write_text(SECRET, encoding="utf-8")
    tree(tmp_path, {})
    (tmp_path / "agencies" / "stc.yml").symlink_to(secret)
    [problem] = problems(tmp_path)
    assert "symbolic link" in problem and "id_ed25519" not in problem and "AAAA" not in problem


def test_yaml_error_in_the_ledger_never_echoes_the_file() -> None:
    # Before, the ledger's message was PyYAML's whole text, which quotes the offending line.
    text = f"addresses:\n  a@x.vn: {{kind: person, id: {SECRET}: x}}\n"
    with pytest.raises(ValidationFailed) as info:
        parse_ledger(text, "ledger.yml")
    [problem] = info.value.problems
    assert "AAAAC3" not in str(problem) and problem.entry.startswith("line 2")


@pytest.mark.parametrize(
    ("value", "read_as"), [("on", "boolean true"), ("No", "boolean false"), ("off", "boolean false")]
)
def test_yaml11_boolean_words_say_to_quote(tmp_path: Path, value: str, read_as: str) -> None:
    [problem] = problems(tree(tmp_path, {"stc.yml": f"abbreviation: {value}\nname: Sở Tài chính\n".encode()}))
    assert f"read by YAML as the {read_as}" in problem and f'quote it ("{value}")' in problem
    assert problem.startswith(str(tmp_path / "agencies" / "stc.yml") + ": line 1, column 15: ")


def test_true_and_false_are_booleans(tmp_path: Path) -> None:
    state = load_desired_state(tree(tmp_path, {"stc.yml": (AGENCY + "mailbox: false\n").encode()}))
    assert state.agencies[0].mailbox is False


@pytest.mark.parametrize(("value", "number"), [("0x1F", "31"), ("017", "15"), ("1_000", "1000")])
def test_numbers_in_other_notations_say_to_quote(value: str, number: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        parse(f"id: {value}\n", "f.yml", dates=False, max_chars=1000)
    assert f"the number {number}: quote it" in info.value.problems[0].message


def test_a_plain_number_where_text_is_expected_says_quote_it(tmp_path: Path) -> None:
    person = "people:\n  - {id: 2017000123, full_name: Lê Lợi, requested_on: 2017-08-01}\n"
    [problem] = problems(tree(tmp_path, {"stc.yml": (AGENCY + person).encode()}))
    assert "people[0]: id: '2017000123' is read by YAML as a number: quote it" in problem


def test_a_bad_date_is_reported_once(tmp_path: Path) -> None:
    # A date that fails both the pattern and the format check gave two problems for one value.
    person = "people:\n  - {id: CB-1, full_name: Lê Lợi, requested_on: 2017-2-30}\n"
    found = problems(tree(tmp_path, {"stc.yml": (AGENCY + person).encode()}))
    assert len([p for p in found if "requested_on" in p]) == 1


def test_ledger_dates_are_dates_and_duplicates_name_the_key(tmp_path: Path) -> None:
    line = "  dungnv@danang.gov.vn: {kind: person, id: CB-1, issued_on: 2026-11-29, status: active}\n"
    path = tmp_path / "ledger.yml"
    path.write_text("addresses:\n" + line, encoding="utf-8")
    assert load_ledger(str(path), reseal=True).entries[0].issued_on.isoformat() == "2026-11-29"
    with pytest.raises(ValidationFailed) as info:
        parse_ledger("addresses:\n" + line + line, "ledger.yml")
    [problem] = info.value.problems
    assert problem.field == "dungnv@danang.gov.vn" and "first on line 2" in problem.message


def test_excerpt_is_short_printable_and_bounded() -> None:
    assert excerpt("a\nb\x1b[31m") == "'a\\nb\\x1b[31m'"
    assert excerpt("x" * 1000) == "'" + "x" * 40 + "…'"
    assert len(excerpt(list(range(100000)))) < 50


def test_one_loader_reads_dates_as_dates_or_as_the_text_written():
    text = "requested_on: 2026-11-29\nat: 2026-11-29 09:15:02\nquoted: '2026-11-29'\n"
    with_dates = parse(text, "f.yml", dates=True, max_chars=1000)
    assert with_dates["requested_on"] == datetime.date(2026, 11, 29)
    assert isinstance(with_dates["at"], datetime.datetime)
    assert parse(text, "f.yml", dates=False, max_chars=1000) == {
        "requested_on": "2026-11-29",
        "at": "2026-11-29 09:15:02",
        "quoted": "2026-11-29",
    }
    # The choice is per call: the same loader class serves both in one process.
    assert parse(text, "f.yml", dates=True, max_chars=1000) == with_dates
