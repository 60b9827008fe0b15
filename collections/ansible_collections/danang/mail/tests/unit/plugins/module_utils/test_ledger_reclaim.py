# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ledger's reclaim status (R-23, R-03, R-20): reclaimed_on, one line rewritten, resealed."""

from __future__ import annotations

import datetime

import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils.ledger import (
    Ledger,
    parse_ledger,
    reactivations,
    rewritten_text,
    sealed_entries,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger_seal import seal_line
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed

DAY = datetime.date(2027, 3, 2)
BODY = """\
---
# kept as written
addresses:
  dungnv@danang.gov.vn: {kind: person, id: CB-0001, issued_on: 2026-11-29, status: active}
  stttt@danang.gov.vn: {kind: agency, id: CQ-01, issued_on: 2026-11-28, status: active}
  hoatt@danang.gov.vn: {kind: person, id: CB-0002, issued_on: 2026-11-29, status: reclaimed, reclaimed_on: 2027-01-05}
"""  # noqa: E501


def ledger(body: str = BODY) -> Ledger:
    text = body + seal_line(parse_ledger(body, "ledger.yml"))
    return Ledger("ledger.yml", sealed_entries(text, "ledger.yml"), text)


def test_reclaimed_on_reads_back_and_names_the_holders() -> None:
    book = ledger()
    assert book.reclaimed() == {"CB-0002": datetime.date(2027, 1, 5)}
    assert book.entries[2].to_line().endswith("status: reclaimed, reclaimed_on: 2027-01-05}\n")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("status: active, reclaimed_on: 2027-01-05", "only on an entry whose status is reclaimed"),
        ("status: reclaimed, reclaimed_on: soon", "must be a date"),
    ],
)
def test_a_wrong_reclaimed_on_is_refused(extra: str, message: str) -> None:
    text = f"addresses:\n  a@x.vn: {{kind: person, id: CB-1, issued_on: 2026-11-29, {extra}}}\n"
    with pytest.raises(ValidationFailed, match=message):
        parse_ledger(text, "ledger.yml")


def test_reclaiming_rewrites_only_that_line_and_reseals() -> None:
    book = ledger()
    text = rewritten_text(book, {"dungnv@danang.gov.vn": "reclaimed"}, DAY)
    old, new = book.text.splitlines(), text.splitlines()
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert changed[0][1] == (
        "  dungnv@danang.gov.vn: {kind: person, id: CB-0001, issued_on: 2026-11-29, status: reclaimed, "
        "reclaimed_on: 2027-03-02}"
    )
    assert len(changed) == 2 and changed[1][1].startswith("# seal: 3 entries")  # the line and the seal
    assert sealed_entries(text, "ledger.yml")[0].reclaimed_on == DAY


def test_back_to_active_drops_the_date_and_unchanged_is_byte_for_byte() -> None:
    book = ledger()
    text = rewritten_text(book, {"hoatt@danang.gov.vn": "active"}, DAY)
    assert "hoatt@danang.gov.vn: {kind: person, id: CB-0002, issued_on: 2026-11-29, status: active}" in text
    assert rewritten_text(book, {"stttt@danang.gov.vn": "active"}, DAY) == book.text


def test_crlf_is_kept_and_an_unknown_address_refused() -> None:
    book = ledger(BODY.replace("\n", "\r\n"))
    text = rewritten_text(book, {"dungnv@danang.gov.vn": "reclaimed"}, DAY)
    assert text.count("\r\n") == text.count("\n")
    with pytest.raises(ValidationFailed, match="not in the ledger"):
        rewritten_text(book, {"nobody@danang.gov.vn": "reclaimed"}, DAY)


def test_a_new_request_after_the_reclaim_makes_the_holder_active() -> None:
    entries = ledger().entries
    assert reactivations(entries, {"CB-0002": datetime.date(2027, 2, 1)}) == {"hoatt@danang.gov.vn": "active"}
    # The request the mailbox was reclaimed under is no new request.
    assert reactivations(entries, {"CB-0002": datetime.date(2027, 1, 5)}) == {}
    assert reactivations(entries, {}) == {}


def test_the_exported_ledger_schema_knows_reclaimed_on() -> None:
    """Editors validate the ledger with the exported schema: a reclaimed line must pass it."""
    from ansible_collections.danang.mail.plugins.module_utils import desired_state_schema
    from jsonschema import Draft202012Validator

    data = yaml.safe_load(BODY)
    data["addresses"] = {a: {k: str(v) for k, v in e.items()} for a, e in data["addresses"].items()}
    assert list(Draft202012Validator(desired_state_schema.LEDGER_SCHEMA).iter_errors(data)) == []
