# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cmdlets forwarding (R-50) needs (no server: the lab's stores and a directory in memory).

Sources, per test: learn.microsoft.com/powershell/module/exchange/new-mailcontact
(-ExternalEmailAddress, the contact's primary SMTP address), …/get-recipient (mailboxes and mail
contacts), …/get-inboxrule and …/set-inboxrule (ForwardTo/RedirectTo/ForwardAsAttachmentTo name
mailboxes, mail contacts or SMTP addresses; a recipient of the organisation is shown as
``"Name" [EX:<LegacyExchangeDN>]``; ``$null`` clears an action), …/new-transportrule
(RedirectMessageTo, BlindCopyTo, CopyTo, AddToRecipients: recipients or SMTP addresses),
…/remove-transportrule (ConfirmImpact High: the engine asks for -Confirm:$false).
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from exchange_lab.cmdlets.binder import bind
from exchange_lab.cmdlets.definitions import DEFINITIONS
from exchange_lab.cmdlets.engine import IMPLEMENTATIONS, Context
from exchange_lab.cmdlets.errors import CmdletError
from exchange_lab.inbox_rules import InboxRuleStore
from exchange_lab.store import MailboxStore

BASE = "DC=danang,DC=gov,DC=vn"
OU = f"OU=DanangMail,{BASE}"
AN = f"CN=Nguyen Van An,{OU}"
LEGACY = "/o=DaNang/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ab-annv"


class Directory:
    """The calls the recipient and inbox-rule cmdlets make of the lab's AD, over a dict."""

    base_dn, users_dn, domain, netbios = BASE, f"CN=Users,{BASE}", "danang.gov.vn", "DANANG"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.entries: dict[str, dict] = {}
        self.add(OU, {"objectClass": ["top", "organizationalUnit"], "ou": "DanangMail"})
        self.add(
            AN,
            {
                "objectClass": ["top", "person", "user"],
                "cn": "Nguyen Van An",
                "displayName": "Nguyễn Văn An",
                "mailNickname": "annv",
                "proxyAddresses": ["SMTP:annv@danang.gov.vn"],
                "legacyExchangeDN": LEGACY,
                "msExchMailboxGuid": uuid.uuid4(),
            },
        )

    def add(self, dn: str, attributes: dict) -> None:
        entry = {"dn": dn}
        for name, value in attributes.items():
            if value is not None:
                value = value.bytes_le if isinstance(value, uuid.UUID) else value
                entry[name.lower()] = list(value) if isinstance(value, list) else [value]
        self.entries[dn.lower()] = entry

    def _names(self, entry: dict) -> set[str]:
        names = {
            entry["dn"].lower(),
            *(v.lower() for k in ("cn", "mailnickname", "legacyexchangedn") for v in entry.get(k, [])),
        }
        return names | {p.partition(":")[2].lower() for p in entry.get("proxyaddresses", [])}

    def resolve(self, identity: str, classes: str = "(objectClass=user)") -> list[str]:
        kinds = {"user", "contact"} if "contact" in classes else {"user"}
        return [
            e["dn"]
            for e in self.entries.values()
            if identity.lower() in self._names(e) and kinds & set(e["objectclass"])
        ]

    def read(self, dn: str, attributes: list[str] | None = None) -> dict | None:
        return self.entries.get(dn.lower())

    def search(self, base: str, ldap_filter: str, attributes: list[str]) -> list[dict]:
        kinds = {"user", "contact"} if "objectClass=user" in ldap_filter else {"contact"}
        return [
            e
            for e in self.entries.values()
            if kinds & set(e["objectclass"]) and e["dn"].lower().endswith(base.lower())
        ]

    def holders(self, kind: str, value: str) -> set[str]:
        return {e["dn"] for e in self.entries.values() if value.lower() in self._names(e)}


@pytest.fixture
def lab(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(
        store=MailboxStore(tmp_path / "store.sqlite3"),
        rules=InboxRuleStore(tmp_path / "inbox_rules.json"),
        directory=Directory(),
        clock=SimpleNamespace(now=lambda: datetime(2026, 12, 7, 2, 0, tzinfo=UTC)),
    )


def run(lab: SimpleNamespace, cmdlet: str, **params: object) -> list:
    definition = DEFINITIONS[cmdlet]
    ctx = Context(lab, "Administrator", cmdlet, definition.task_class, pipeline=None)
    return IMPLEMENTATIONS[cmdlet](ctx, bind(definition, list(params.items()))) or []


def props(obj) -> dict:
    return {p.name: getattr(obj, p.name) for p in obj.PSObject.adapted_properties}


def test_a_mail_contact_sends_to_its_external_address_and_is_a_recipient(lab) -> None:
    (contact,) = run(
        lab, "New-MailContact", Name="Ngoai", ExternalEmailAddress="ngoai@gmail.com", OrganizationalUnit=OU
    )
    shown = props(contact)
    assert (shown["ExternalEmailAddress"], shown["PrimarySmtpAddress"]) == (
        "SMTP:ngoai@gmail.com",
        "ngoai@gmail.com",
    )
    assert shown["RecipientTypeDetails"] == "MailContact" and shown["LegacyExchangeDN"].startswith(
        "/o=DaNang/"
    )
    recipients = {props(r)["Name"]: props(r) for r in run(lab, "Get-Recipient", ResultSize="Unlimited")}
    assert recipients["Ngoai"]["RecipientType"] == "MailContact"
    assert recipients["Nguyen Van An"]["RecipientType"] == "UserMailbox"
    assert recipients["Nguyen Van An"]["ExternalEmailAddress"] is None
    assert [props(c)["Name"] for c in run(lab, "Get-MailContact")] == ["Ngoai"]
    with pytest.raises(CmdletError, match="already being used"):
        run(lab, "New-MailContact", Name="Khac", Alias="ngoai2", ExternalEmailAddress="ngoai@gmail.com")


def test_set_inbox_rule_changes_one_action_and_refuses_a_rule_without_any(lab) -> None:
    run(lab, "New-MailContact", Name="Ngoai", ExternalEmailAddress="ngoai@gmail.com")
    (guid,) = [
        str(uuid.UUID(bytes_le=e["msexchmailboxguid"][0]))
        for e in lab.directory.entries.values()
        if "msexchmailboxguid" in e
    ]
    rule = lab.rules.add(
        guid, {"name": "Đi", "forward_to": ["ngoai@gmail.com", "x@yahoo.com"], "mark_as_read": True}
    )
    (shown,) = [props(r) for r in run(lab, "Get-InboxRule", Mailbox="annv@danang.gov.vn")]
    assert shown["ForwardTo"][0].startswith('"Ngoai" [EX:/o=DaNang/')  # a contact of the organisation
    assert shown["ForwardTo"][1] == '"x@yahoo.com" [SMTP:x@yahoo.com]'
    run(
        lab,
        "Set-InboxRule",
        Mailbox="annv@danang.gov.vn",
        Identity=shown["RuleIdentity"],
        ForwardTo=["Ngoai", "annv"],
        Force=True,
    )
    (after,) = lab.rules.list(guid)
    assert (after["forward_to"], after["mark_as_read"], after["id"]) == (
        ["ngoai@gmail.com", "annv@danang.gov.vn"],
        True,
        rule["id"],
    )
    run(lab, "Set-InboxRule", Identity=f"annv\\{shown['RuleIdentity']}", ForwardTo=None)  # <mailbox>\<id>
    assert lab.rules.list(guid)[0]["forward_to"] == []
    with pytest.raises(CmdletError, match="at least one action"):
        run(lab, "Set-InboxRule", Mailbox="annv", Identity=shown["RuleIdentity"], MarkAsRead=False)
    with pytest.raises(CmdletError, match="couldn't be found"):
        run(lab, "Set-InboxRule", Mailbox="annv", Identity="no such rule", MarkAsRead=True)


def test_transport_rule_actions_keep_smtp_addresses_and_a_rule_can_be_removed(lab) -> None:
    run(
        lab,
        "New-TransportRule",
        Name="Lưu",
        BlindCopyTo=["luu@gmail.com", "Nguyen Van An"],
        RedirectMessageTo="annv",
    )
    (rule,) = [props(r) for r in run(lab, "Get-TransportRule")]
    assert (rule["BlindCopyTo"], rule["RedirectMessageTo"]) == (
        ["luu@gmail.com", "annv@danang.gov.vn"],
        ["annv@danang.gov.vn"],
    )
    run(lab, "Set-TransportRule", Identity="Lưu", BlindCopyTo=None)
    assert props(run(lab, "Get-TransportRule")[0])["BlindCopyTo"] is None
    with pytest.raises(CmdletError, match="couldn't be found"):
        run(lab, "Set-TransportRule", Identity="Lưu", CopyTo=["nobody here"])
    run(lab, "Remove-TransportRule", Identity="Lưu", Confirm=False)
    assert run(lab, "Get-TransportRule") == []
