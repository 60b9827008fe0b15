# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The schemas as Python dicts, and their committed exports for editors (never drift)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ansible_collections.danang.mail.plugins.module_utils import desired_state_schema as schema
from ansible_collections.danang.mail.plugins.module_utils.model import department_holder_id
from jsonschema import Draft202012Validator


@pytest.mark.parametrize(("file_name", "data"), list(schema.EXPORTS.items()))
def test_committed_schema_exports_equal_the_dicts(file_name: str, data: dict[str, Any]) -> None:
    path = schema.schemas_dir() / file_name
    assert json.loads(path.read_text(encoding="utf-8")) == data
    assert path.read_text(encoding="utf-8") == schema.render(data)
    Draft202012Validator.check_schema(data)
    assert schema.main(["--check"]) == 0


def test_ledger_schema_accepts_the_ledger_shape() -> None:
    ledger = {
        "addresses": {
            "dungnv@danang.gov.vn": {
                "kind": "person",
                "id": "CB-1",
                "issued_on": "2017-08-01",
                "status": "active",
            },
            "thanhtra-stttt@danang.gov.vn": {
                "kind": "department",
                "id": department_holder_id("stttt", "thanhtra"),
                "issued_on": "2017-08-01",
                "status": "active",
                "abbreviation": "thanhtra",
                "agency": "stttt",
            },
        }
    }
    validator = Draft202012Validator(schema.LEDGER_SCHEMA)
    assert list(validator.iter_errors(ledger)) == []
    ledger["addresses"]["Bad Address"] = {"kind": "robot", "id": "x", "issued_on": "soon", "status": "active"}
    assert len(list(validator.iter_errors(ledger))) == 3
