# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""EWS against the permission cmdlets' entries (no server): a delegate opens a shared mailbox and
sends as it, anyone else is refused with the error Exchange gives.

Sources: learn.microsoft.com/powershell/module/exchange/add-mailboxpermission (FullAccess: "open
the mailbox, access its contents"), …/add-adpermission (Example 1, -ExtendedRights "Send As");
a DELEGATE account of exchangelib opening a mailbox it holds no rights on gets ``ErrorAccessDenied:
Access is denied. Check credentials and try again.`` from Exchange 2019 (ecederstrand/exchangelib
issue #676, build 15.2.397); sending From another mailbox without Send As is ``ErrorSendAsDenied``
(learn.microsoft.com/exchange/client-developer/web-service-reference/responsecode, ErrorSendAsDenied:
"the user account which was used to submit this request does not have the right to send mail on
behalf of the specified sending account").
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from exchange_lab import ews
from exchange_lab.directory import MailboxRef, guid_from_bytes
from exchange_lab.ews_soap import MNS, SOAP
from exchange_lab.store import MailboxStore
from exchange_lab.test_ews_soap import request
from exchange_lab.test_permissions import AN, BINH, SHARED, Directory, run

ADDRESSES = {SHARED: "sonoivu@danang.gov.vn", AN: "an.nv@danang.gov.vn", BINH: "binh.tt@danang.gov.vn"}


class MailDirectory(Directory):
    """The permission tests' directory, with the mailbox lookups EWS makes."""

    def __init__(self) -> None:
        super().__init__()
        self.logons: list[str] = []

    def resolve_mailbox(self, identity: str) -> MailboxRef | None:
        for dn, address in ADDRESSES.items():
            if identity.lower() == address:
                entry = self.entries[dn.lower()]
                return MailboxRef(
                    dn, address.split("@")[0], address, guid_from_bytes(entry["msexchmailboxguid"][0])
                )
        return None

    def record_logon(self, dn: str, when: datetime) -> None:
        self.logons.append(dn)


@pytest.fixture
def lab(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(
        store=MailboxStore(tmp_path / "store.sqlite3"),
        directory=MailDirectory(),
        warnings=[],
        clock=SimpleNamespace(now=lambda: datetime(2026, 1, 5, tzinfo=UTC)),
        state_dir=tmp_path,
    )


def open_inbox(lab: SimpleNamespace, user: str) -> str:
    """GetFolder of the shared mailbox's inbox, as exchangelib's Account(access_type=DELEGATE) asks."""
    body = request(
        "<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>"
        '<t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>sonoivu@danang.gov.vn'
        "</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>"
    )
    status, _, answer = ews.handle(body, user, lab)
    assert status == 200
    return etree.fromstring(answer).findtext(f"{{{SOAP}}}Body//{{{MNS}}}ResponseCode")


def send_from_share(lab: SimpleNamespace, user: str) -> str:
    body = request(
        '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message><t:Subject>Công văn</t:Subject>'
        "<t:From><t:Mailbox><t:EmailAddress>sonoivu@danang.gov.vn</t:EmailAddress></t:Mailbox></t:From>"
        "<t:ToRecipients><t:Mailbox><t:EmailAddress>dan@danang.gov.vn</t:EmailAddress></t:Mailbox>"
        "</t:ToRecipients></t:Message></m:Items></m:CreateItem>"
    )
    status, _, answer = ews.handle(body, user, lab)
    assert status == 200
    return etree.fromstring(answer).findtext(f"{{{SOAP}}}Body//{{{MNS}}}ResponseCode")


def test_only_a_holder_of_full_access_opens_the_shared_mailbox(lab: SimpleNamespace) -> None:
    assert open_inbox(lab, ADDRESSES[AN]) == "ErrorAccessDenied"
    run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    assert open_inbox(lab, ADDRESSES[AN]) == "NoError"
    assert open_inbox(lab, ADDRESSES[BINH]) == "ErrorAccessDenied"
    run(lab, "Remove-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    assert open_inbox(lab, ADDRESSES[AN]) == "ErrorAccessDenied"


def test_a_deny_entry_wins_over_an_allow(lab: SimpleNamespace) -> None:
    for deny in (False, True):
        run(
            lab,
            "Add-MailboxPermission",
            Identity="sonoivu",
            User="an.nv",
            AccessRights="FullAccess",
            Deny=deny,
        )
    assert open_inbox(lab, ADDRESSES[AN]) == "ErrorAccessDenied"


def test_full_access_alone_does_not_send_as_the_mailbox(lab: SimpleNamespace) -> None:
    run(lab, "Add-MailboxPermission", Identity="sonoivu", User="an.nv", AccessRights="FullAccess")
    assert send_from_share(lab, ADDRESSES[AN]) == "ErrorSendAsDenied"
    run(lab, "Add-ADPermission", Identity=SHARED, User="an.nv", ExtendedRights="Send As")
    assert send_from_share(lab, ADDRESSES[AN]) == "NoError"
    (sent,) = (lab.state_dir / "sent").glob("*.json")
    message = json.loads(sent.read_text(encoding="utf-8"))
    assert (message["authenticated_user"], message["sender"]) == (ADDRESSES[AN], "sonoivu@danang.gov.vn")
    assert send_from_share(lab, ADDRESSES[BINH]) == "ErrorSendAsDenied"
