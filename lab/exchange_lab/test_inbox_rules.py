"""The lab's inbox-rule store: what EWS and the *-InboxRule cmdlets share."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange_lab.inbox_rules import InboxRuleStore, RuleError, RuleNotFound, rule_identity


def test_rules_persist_in_priority_order(tmp_path: Path) -> None:
    path = tmp_path / "state" / "rules.json"
    store = InboxRuleStore(path)
    first = store.add("g1", {"name": "first", "forward_to": ["a@example.org"]})
    second = store.add("g1", {"name": "second", "redirect_to": ["b@example.org"], "priority": 1})
    store.add("g2", {"name": "other", "delete": True})
    assert [(r["name"], r["priority"]) for r in store.list("g1")] == [("second", 1), ("first", 2)]

    store.update("g1", {**first, "priority": 1, "enabled": False})
    store.set_enabled("g1", second["id"], False)
    reloaded = InboxRuleStore(path)
    assert [(r["name"], r["priority"], r["enabled"]) for r in reloaded.list("g1")] == [
        ("first", 1, False),
        ("second", 2, False),
    ]
    assert [p.name for p in path.parent.iterdir()] == ["rules.json"]  # no temporary file left

    reloaded.remove("g1", first["id"])
    assert [(r["name"], r["priority"]) for r in reloaded.list("g1")] == [("second", 1)]
    assert reloaded.list("nobody") == []
    third = reloaded.add("g1", {"name": "third", "mark_as_read": True})
    assert len({first["id"], second["id"], third["id"]}) == 3  # ids are never reused
    assert rule_identity(third["id"]) > rule_identity(first["id"])


def test_listed_rules_are_copies(tmp_path: Path) -> None:
    store = InboxRuleStore(tmp_path / "rules.json")
    store.add("g1", {"name": "r", "forward_to": ["a@example.org"]})
    store.list("g1")[0]["forward_to"].append("evil@example.org")
    assert store.list("g1")[0]["forward_to"] == ["a@example.org"]


@pytest.mark.parametrize(
    ("rule", "key", "code"),
    [
        ({"name": "", "delete": True}, "name", "EmptyValueFound"),
        ({"name": "x" * 257, "delete": True}, "name", "StringValueTooBig"),
        ({"name": "r", "priority": 0, "delete": True}, "priority", "InvalidValue"),
        ({"name": "r", "forward_to": ["not an address"]}, "forward_to", "InvalidAddress"),
        ({"name": "r", "subject_contains": [""], "delete": True}, "subject_contains", "EmptyValueFound"),
        ({"name": "r"}, "actions", "MissingAction"),
        ({"name": "r", "delete": True, "move_to": "Junk"}, "move_to", "UnsupportedRule"),
        ({"name": "r", "delete": True, "id": "AQAAAAAAAAE="}, "id", "CreateWithRuleId"),
    ],
)
def test_bad_rules_name_the_field(tmp_path: Path, rule: dict, key: str, code: str) -> None:
    store = InboxRuleStore(tmp_path / "rules.json")
    with pytest.raises(RuleError) as error:
        store.add("g1", rule)
    assert (key, code) in [(k, c) for k, c, _, _ in error.value.errors]
    assert store.list("g1") == []


def test_unknown_rules_are_not_found(tmp_path: Path) -> None:
    store = InboxRuleStore(tmp_path / "rules.json")
    with pytest.raises(RuleNotFound):
        store.remove("g1", "AQAAAAAAAAE=")
    with pytest.raises(RuleNotFound):
        store.set_enabled("g1", "AQAAAAAAAAE=", True)
    with pytest.raises(RuleNotFound):
        store.update("g1", {"id": "AQAAAAAAAAE=", "name": "r", "delete": True})
