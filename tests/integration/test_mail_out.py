# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Notifications through each system's own mail (``contract.Notifications``), against both labs,
opened as the modules open them (``open_system``): OBM submits to Postfix (through rspamd's milter,
delivered to Cyrus over LMTP), Exchange sends over EWS from the From mailbox.

A Vietnamese text + HTML message arrives intact (read back over IMAP as its holder on OBM, with
exchangelib on Exchange), ``delivered()`` finds it by its Message-ID and not another, in the
person's mailbox and in the agency's shared one, and a refused recipient gives ``ok=False`` without
stopping the next message. What rspamd does to locally submitted mail is pinned on OBM: it adds its
result and queue id headers and changes nothing else of what the holder reads.
"""

from __future__ import annotations

import imaplib
import time
import unicodedata
import uuid
from collections.abc import Callable
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")
exchangelib = pytest.importorskip("exchangelib")

import lab_systems  # noqa: E402
import obm_city  # noqa: E402
from exchangelib import IMPERSONATION, Account, Configuration, Credentials, Version  # noqa: E402
from exchangelib.version import EXCHANGE_2016  # noqa: E402
from lab_systems import System  # noqa: E402

pytestmark = pytest.mark.integration
system = lab_systems.system  # the fixture

PERSON, AGENCY, DEPARTMENT = "CB-2017-000101", "agency/stttt", "department/stttt/cntt"
SUBJECT = unicodedata.normalize("NFC", "Kết quả yêu cầu 2026-12-07-stttt-1: đã tạo hộp thư")
TEXT = unicodedata.normalize(
    "NFC", "Kính gửi Sở Thông tin và Truyền thông,\nĐã tạo hộp thư cho ông Nguyễn Văn An.\n"
)
HTML = unicodedata.normalize(
    "NFC", "<p>Kính gửi <b>Sở Thông tin và Truyền thông</b>,</p><p>Đã tạo hộp thư.</p>\n"
)


def composed(sender: str, to: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = Address("Trung tâm Công nghệ thông tin", addr_spec=sender)
    message["To"] = to
    message["Subject"] = SUBJECT
    message["Date"] = "Mon, 07 Dec 2026 08:30:00 +0700"
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message


def wait_for(check: Callable[[], bool], seconds: float = 30) -> bool:
    """LMTP delivery follows the SMTP answer by a moment."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return check()


def read_back(system: System, address: str, holder: str, message_id: str) -> EmailMessage:
    """The message as its holder reads it: IMAP on OBM, exchangelib (GetItem's MimeContent) on Exchange."""
    if system.name == "obm":
        lab = system.city.lab
        lab.simulate_password_change(address)  # IMAP needs the holder's first change
        imap = imaplib.IMAP4(lab.imap_host, lab.imap_port)
        imap.login(address, obm_city.password_for(holder))
        imap.select("INBOX", readonly=True)
        _typ, data = imap.fetch("1:*", "(BODY.PEEK[])")
        imap.logout()
        found = [
            message_from_bytes(part[1], policy=policy.default) for part in data if isinstance(part, tuple)
        ]
    else:
        params = system.params
        config = Configuration(
            service_endpoint=f"http://{params['exchange_server']}:{params['exchange_port']}/EWS/Exchange.asmx",
            credentials=Credentials(params["exchange_username"], params["exchange_password"]),
            version=Version(build=EXCHANGE_2016),
            auth_type="basic",
        )
        account = Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)
        found = [
            message_from_bytes(item.mime_content, policy=policy.default)
            for item in account.inbox.filter(message_id=message_id)
        ]
    [message] = [m for m in found if m["Message-ID"] == message_id]
    return message


def move_inbox_to(system: System, address: str, holder: str, folder: str) -> None:
    lab = system.city.lab
    lab.simulate_password_change(address)  # IMAP needs the holder's first change
    imap = imaplib.IMAP4(lab.imap_host, lab.imap_port)
    imap.login(address, obm_city.password_for(holder))
    imap.select("INBOX")
    assert imap.copy("1:*", folder)[0] == "OK"
    imap.store("1:*", "+FLAGS", "(\\Deleted)")
    imap.expunge()
    assert imap.select("INBOX", readonly=True)[1] == [b"0"]
    imap.logout()


def test_a_notification_arrives_intact_is_found_by_its_id_and_a_refused_one_does_not_stop_the_next(
    system: System,
) -> None:
    first = system.reconcile()
    assert all(r.ok for r in first.results), [r for r in first.results if not r.ok]
    person, agency, sender = (system.address(h) for h in (PERSON, AGENCY, DEPARTMENT))
    # What each system refuses at once: Postfix an unknown address of its own domain (550 5.1.1),
    # Exchange a recipient it cannot resolve (it accepts any SMTP address and bounces later).
    refused = f"khongco-{uuid.uuid4().hex[:6]}@{system.domain}" if system.name == "obm" else "khongco"
    ids = [f"<{uuid.uuid4().hex}.danang-mail@{system.domain}>" for _n in range(3)]
    messages = [
        composed(sender, person, ids[0]),
        composed(sender, refused, ids[1]),
        composed(sender, agency, ids[2]),
    ]

    with system.open() as backend:
        results = backend.send_messages(messages)
        assert [(r.address, r.action, r.ok) for r in results] == [
            (person, "send", True),
            (refused, "send", False),
            (agency, "send", True),
        ], results
        assert results[1].error
        assert wait_for(lambda: backend.delivered(person, ids[0]))
        assert wait_for(lambda: backend.delivered(agency, ids[2]))
        assert backend.delivered(person, ids[2]) is False  # the agency's, not the person's
        assert backend.delivered(person, f"<{uuid.uuid4().hex}.danang-mail@{system.domain}>") is False

    received = read_back(system, person, PERSON, ids[0])
    assert (str(received["Subject"]), received["From"].addresses[0].addr_spec, str(received["To"])) == (
        SUBJECT,
        sender,
        person,
    )
    assert received["From"].addresses[0].display_name == "Trung tâm Công nghệ thông tin"
    assert received["Auto-Submitted"] == "auto-generated"
    text, html = received.get_body(("plain",)), received.get_body(("html",))
    assert text.get_content().replace("\r\n", "\n") == TEXT
    assert html.get_content().replace("\r\n", "\n") == HTML
    if system.name == "obm":
        # Filed away by its holder (moved to Trash), it is still found: every folder is searched.
        move_inbox_to(system, person, PERSON, "Trash")
        with system.open() as backend:
            assert backend.delivered(person, ids[0]) is True
        # rspamd's milter scans local submissions too (skip_local = false): it adds its result and
        # queue id, and does not mark a notification as spam or rewrite its subject.
        assert received["X-Spamd-Result"] and received["X-Rspamd-Queue-Id"]
        assert received.get("X-Spam") is None
