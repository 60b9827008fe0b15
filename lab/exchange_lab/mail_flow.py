# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport rules' reject action on a message the lab accepts (EWS CreateItem).

Exchange evaluates mail flow rules on the Mailbox server's transport; a rule whose condition
``-RecipientADAttributeContainsWords "AttributeName:Word,Phrase…"`` matches a recipient ("works
when the recipient is an individual user") and whose action is ``-RejectMessageReasonText`` /
``-RejectMessageEnhancedStatusCode`` returns the message to the sender in an NDR with that text and
status (learn.microsoft.com/powershell/module/exchange/new-transportrule; default status 5.7.1).
The lab evaluates only that condition, on CustomAttribute1 to 15 (AD extensionAttribute1 to 15), for
enabled rules in Enforce mode with no other condition; the words are matched whole and without
case. The NDR is recorded with the sent message (``ews_send``), and the rejected recipient gets no
copy in its Inbox.
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_STATUS = "5.7.1"
DEFAULT_TEXT = "Delivery not authorized, message refused"
_OTHER_CONDITIONS = ("FromScope", "SentToScope", "MessageTypeMatches", "AttachmentSizeOver")
_CUSTOM = re.compile(r"^CustomAttribute([1-9]|1[0-5])$", re.IGNORECASE)


def _conditions(rule: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(AD attribute, words) of the rule's RecipientADAttributeContainsWords values."""
    found = []
    for value in rule.get("RecipientADAttributeContainsWords") or []:
        name, _, words = str(value).partition(":")
        match = _CUSTOM.match(name.strip())
        if match:
            found.append((f"extensionattribute{match.group(1)}", [w for w in words.split(",") if w]))
    return found


def _contains(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE) is not None


def rejections(lab: Any, recipients: list[str]) -> list[dict[str, str]]:
    """The NDR entries (recipient, status, text) the enabled reject rules give these recipients."""
    rules = [
        r
        for r in lab.store.config("transport_rules", [])
        if r.get("State") == "Enabled"
        and (r.get("Mode") or "Enforce") == "Enforce"
        and r.get("RecipientADAttributeContainsWords")
        and not any(r.get(c) is not None for c in _OTHER_CONDITIONS)
        and (r.get("RejectMessageReasonText") or r.get("RejectMessageEnhancedStatusCode"))
    ]
    rejected = []
    for address in recipients:
        if not rules:
            break
        ref = lab.directory.resolve_mailbox(address)
        entry = lab.directory.read(ref.dn) if ref else None
        if entry is None:
            continue
        for rule in sorted(rules, key=lambda r: r.get("Priority", 0)):
            if any(
                _contains(value, word)
                for attribute, words in _conditions(rule)
                for value in entry.get(attribute, [])
                for word in words
            ):
                rejected.append(
                    {
                        "recipient": address,
                        "status": rule.get("RejectMessageEnhancedStatusCode") or DEFAULT_STATUS,
                        "text": rule.get("RejectMessageReasonText") or DEFAULT_TEXT,
                        "rule": rule["Name"],
                    }
                )
                break
    return rejected
