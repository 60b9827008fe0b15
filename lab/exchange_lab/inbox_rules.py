# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inbox rules of the lab's mailboxes, one JSON file shared by EWS and the *-InboxRule cmdlets.

Rules are kept per mailbox, keyed by its ``exchange_guid``. A rule is a plain dict:

- ``id``: the EWS ``RuleId``, base64 of an 8-byte number as Exchange shows it; ``rule_identity``
  gives the number that ``Get-InboxRule`` shows as ``RuleIdentity``;
- ``name``, ``enabled``, ``priority`` (1…n, contiguous as Exchange shows them; a new or changed
  rule goes in at its priority and the ones after it move down);
- actions ``forward_to``, ``redirect_to``, ``forward_as_attachment_to`` (SMTP addresses; the
  forwarding R-50 is about), ``delete``, ``mark_as_read``, ``stop_processing_rules``;
- conditions ``subject_contains``, ``body_contains``, ``from_addresses``, ``sent_to_addresses``.

Every change is written at once (temporary file, then rename) under one lock, so a crash never
leaves half a file and the HTTP server's threads never interleave.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Any

ADDRESS_LISTS = (
    "forward_to",
    "redirect_to",
    "forward_as_attachment_to",
    "from_addresses",
    "sent_to_addresses",
)
STRING_LISTS = ("subject_contains", "body_contains")
FLAGS = ("delete", "mark_as_read", "stop_processing_rules")
ACTIONS = ("forward_to", "redirect_to", "forward_as_attachment_to", "delete", "mark_as_read")
KEYS = ("id", "name", "enabled", "priority", *ADDRESS_LISTS, *STRING_LISTS, *FLAGS)

# Exchange's limits: a rule name up to 256 characters, condition strings up to 255.
MAX_NAME = 256
MAX_STRING = 255
_SMTP = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")


class RuleError(ValueError):
    """A rule Exchange would refuse: ``errors`` holds ``(key, code, message, value)`` tuples, ``code``
    being the EWS ``RuleValidationErrorCode`` (``InvalidAddress``, ``MissingAction``…)."""

    def __init__(self, errors: list[tuple[str, str, str, str]]):
        super().__init__("; ".join(f"{key}: {message}" for key, _, message, _ in errors))
        self.errors = errors


class RuleNotFound(KeyError):
    """No rule with that id in that mailbox."""


def is_smtp_address(value: object) -> bool:
    return isinstance(value, str) and _SMTP.match(value) is not None


def rule_identity(rule_id: str) -> int:
    """The number ``Get-InboxRule`` shows as ``RuleIdentity`` for an EWS ``RuleId``."""
    return int.from_bytes(base64.b64decode(rule_id), "big")


def validate(rule: dict[str, Any]) -> dict[str, Any]:
    """Return the rule with every key present and defaults filled in, or raise ``RuleError``."""
    errors: list[tuple[str, str, str, str]] = []
    unknown = sorted(set(rule) - set(KEYS))
    errors += [(key, "UnsupportedRule", f"the lab does not support {key!r}", "") for key in unknown]
    out: dict[str, Any] = {"id": rule.get("id"), "enabled": rule.get("enabled", True)}
    name = rule.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(("name", "EmptyValueFound", "A rule needs a name.", ""))
    elif len(name) > MAX_NAME:
        errors.append(("name", "StringValueTooBig", f"A rule name has at most {MAX_NAME} characters.", name))
    out["name"] = name
    priority = rule.get("priority")  # None: after the last rule
    if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool) or priority < 1):
        errors.append(("priority", "InvalidValue", "Priority must be a positive number.", str(priority)))
    out["priority"] = priority
    if not isinstance(out["enabled"], bool):
        errors.append(("enabled", "InvalidValue", "enabled must be true or false.", str(out["enabled"])))
    for key in ADDRESS_LISTS:
        values = list(rule.get(key) or [])
        for value in values:
            if not is_smtp_address(value):
                errors.append((key, "InvalidAddress", f"{value!r} is not a valid SMTP address.", str(value)))
        out[key] = values
    for key in STRING_LISTS:
        values = list(rule.get(key) or [])
        for value in values:
            if not isinstance(value, str) or not value:
                errors.append((key, "EmptyValueFound", "A condition string cannot be empty.", ""))
            elif len(value) > MAX_STRING:
                errors.append((key, "StringValueTooBig", f"At most {MAX_STRING} characters.", value))
        out[key] = values
    for key in FLAGS:
        out[key] = bool(rule.get(key, False))
    if not errors and not any(out[key] for key in ACTIONS) and not out["stop_processing_rules"]:
        errors.append(("actions", "MissingAction", "A rule needs at least one action.", ""))
    if errors:
        raise RuleError(errors)
    return out


class InboxRuleStore:
    """Inbox rules per mailbox, persisted as JSON at ``path``."""

    def __init__(self, path: Path):
        self._path = Path(path)
        self._lock = threading.Lock()
        if self._path.exists():
            data = json.loads(self._path.read_text(encoding="utf-8"))
        else:
            data = {"next_id": 1, "mailboxes": {}}
        self._next_id: int = data["next_id"]
        self._rules: dict[str, list[dict[str, Any]]] = data["mailboxes"]

    def list(self, exchange_guid: str) -> list[dict[str, Any]]:
        """The mailbox's rules in priority order (copies: changing them changes nothing)."""
        with self._lock:
            return copy.deepcopy(self._rules.get(exchange_guid, []))

    def add(self, exchange_guid: str, rule: dict[str, Any]) -> dict[str, Any]:
        """Add a rule (without ``id``) at its priority; return it with its new id."""
        if rule.get("id"):
            raise RuleError([("id", "CreateWithRuleId", "A new rule cannot carry an id.", rule["id"])])
        new = validate(rule)
        with self._lock:
            # Exchange's rule ids are 8-byte numbers; the high byte set like the ones it hands out.
            new["id"] = base64.b64encode((0x01 << 56 | self._next_id).to_bytes(8, "big")).decode()
            self._next_id += 1
            self._place(exchange_guid, new)
            self._save()
            return copy.deepcopy(new)

    def update(self, exchange_guid: str, rule: dict[str, Any]) -> dict[str, Any]:
        """Replace the rule with ``rule["id"]`` as a whole (what EWS's SetRuleOperation does)."""
        new = validate(rule)
        with self._lock:
            self._find(exchange_guid, new["id"])
            self._rules[exchange_guid] = [r for r in self._rules[exchange_guid] if r["id"] != new["id"]]
            self._place(exchange_guid, new)
            self._save()
            return copy.deepcopy(new)

    def remove(self, exchange_guid: str, rule_id: str) -> None:
        with self._lock:
            self._find(exchange_guid, rule_id)
            rules = [r for r in self._rules[exchange_guid] if r["id"] != rule_id]
            self._renumber(rules)
            if rules:
                self._rules[exchange_guid] = rules
            else:
                del self._rules[exchange_guid]
            self._save()

    def set_enabled(self, exchange_guid: str, rule_id: str, enabled: bool) -> None:
        with self._lock:
            self._find(exchange_guid, rule_id)["enabled"] = bool(enabled)
            self._save()

    def _find(self, exchange_guid: str, rule_id: str | None) -> dict[str, Any]:
        for rule in self._rules.get(exchange_guid, []):
            if rule["id"] == rule_id:
                return rule
        raise RuleNotFound(rule_id)

    def _place(self, exchange_guid: str, new: dict[str, Any]) -> None:
        rules = self._rules.setdefault(exchange_guid, [])
        rules.insert(min(new["priority"] or len(rules) + 1, len(rules) + 1) - 1, new)
        self._renumber(rules)

    @staticmethod
    def _renumber(rules: list[dict[str, Any]]) -> None:
        for number, rule in enumerate(rules, start=1):
            rule["priority"] = number

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        data = {"next_id": self._next_id, "mailboxes": self._rules}
        fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=self._path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
            os.replace(tmp, self._path)
        except BaseException:
            os.unlink(tmp)
            raise
