"""Sending, delivery and finding a message on the EWS endpoint, through exchangelib (the backend's
client) over a local HTTP server, and the requests Exchange refuses, as raw SOAP.

Sources: learn.microsoft.com/exchange/client-developer/web-service-reference/finditem (Traversal
Shallow | SoftDeleted | Associated; IndexedPageItemView; RootFolder IndexedPagingOffset,
TotalItemsInView, IncludesLastItemInRange), …/createitem (MessageDisposition; MimeContent Base64),
…/getitem, …/responsecode (ErrorInvalidRecipients, ErrorMimeContentConversionFailed, ErrorItemNotFound).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from exchangelib import (
    IMPERSONATION,
    Account,
    Configuration,
    Credentials,
    FolderCollection,
    HTMLBody,
    Mailbox,
    Message,
    Version,
)
from exchangelib.errors import ErrorAccessDenied
from exchangelib.version import EXCHANGE_2016
from lxml import etree

from exchange_lab import ews
from exchange_lab.ews_soap import MNS
from exchange_lab.mail_items import ItemStore, item_id
from exchange_lab.store import MailboxStore
from exchange_lab.test_ews_soap import fault_code, request

DOMAIN = "danang.gov.vn"
ADMIN = f"administrator@{DOMAIN}"
SENDER, RECIPIENT, OTHER = f"cntt@{DOMAIN}", f"an.nv@{DOMAIN}", f"binh.tt@{DOMAIN}"
SUBJECT = "Kết quả yêu cầu: đã tạo hộp thư"
TEXT = "Kính gửi Sở Thông tin và Truyền thông,\nĐã tạo hộp thư an.nv@danang.gov.vn.\n"
HTML = "<p>Kính gửi <b>Sở Thông tin và Truyền thông</b>,</p><p>Đã tạo hộp thư.</p>\n"


@dataclass(frozen=True)
class Ref:
    dn: str
    alias: str
    primary_smtp_address: str
    exchange_guid: str


@dataclass
class Directory:
    passwords: dict[str, str] = field(default_factory=lambda: {ADMIN: "admin-pw"})
    mailboxes: dict[str, Ref] = field(default_factory=dict)
    attributes: dict[str, dict] = field(default_factory=dict)  # dn -> AD attributes (transport rules)

    def add(self, address: str) -> None:
        self.passwords[address] = "pw"
        alias = address.split("@")[0]
        self.mailboxes[address] = Ref(
            f"CN={alias},OU=DanangMail,DC=danang,DC=gov,DC=vn", alias, address, alias
        )

    def resolve_mailbox(self, identity: str) -> Ref | None:
        return self.mailboxes.get(identity.lower())

    def record_logon(self, dn: str, when: datetime) -> None:
        pass

    def read(self, dn: str, attributes: list[str] | None = None) -> dict:
        return {
            "dn": dn,
            "objectguid": [uuid.uuid5(uuid.NAMESPACE_X500, dn).bytes_le],
            **self.attributes.get(dn, {}),
        }


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[SimpleNamespace]:
    directory = Directory()
    for address in (SENDER, RECIPIENT, OTHER):
        directory.add(address)
    state = SimpleNamespace(
        directory=directory,
        store=MailboxStore(tmp_path / "store.sqlite3"),
        items=ItemStore(tmp_path / "items.sqlite3"),
        clock=SimpleNamespace(now=lambda: datetime(2026, 12, 7, 1, 30, tzinfo=UTC)),
        state_dir=tmp_path,
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            auth = base64.b64decode(self.headers.get("Authorization", "Basic eA==")[6:]).decode()
            user, _, password = auth.partition(":")
            if directory.passwords.get(user.lower()) != password:
                status, content_type, body = 401, "text/plain", b""
            else:
                status, content_type, body = ews.handle(body, user, state)
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="lab"')
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_port}/EWS/Exchange.asmx"
    yield state
    server.shutdown()
    server.server_close()


def account(lab: SimpleNamespace, mailbox: str, user: str = ADMIN) -> Account:
    config = Configuration(
        service_endpoint=lab.url,
        credentials=Credentials(user, lab.directory.passwords[user]),
        version=Version(build=EXCHANGE_2016),
        auth_type="basic",
    )
    access = IMPERSONATION if user == ADMIN else "delegate"
    return Account(mailbox, config=config, autodiscover=False, access_type=access)


def composed(to: str, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Trung tâm CNTT <{SENDER}>"
    message["To"] = to
    message["Subject"] = SUBJECT
    message["Message-ID"] = message_id
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message


def send(lab: SimpleNamespace, message: EmailMessage) -> None:
    sender = account(lab, SENDER)
    Message(account=sender, folder=sender.sent, mime_content=message.as_bytes()).send_and_save()


def find(acc: Account, message_id: str) -> list[Message]:
    folders = FolderCollection(account=acc, folders=[acc.inbox, acc.junk, acc.trash])
    return list(folders.filter(message_id=message_id).only("message_id"))


def test_a_mime_message_is_delivered_intact_and_kept_in_sent_items(lab: SimpleNamespace) -> None:
    message = composed(RECIPIENT, "<a1@danang.gov.vn>")
    send(lab, message)

    inbox = account(lab, RECIPIENT)
    [found] = find(inbox, "<a1@danang.gov.vn>")
    [item] = inbox.fetch(
        ids=[found], only_fields=["subject", "body", "text_body", "message_id", "mime_content",
                                  "sender", "to_recipients"]
    )  # fmt: skip
    assert (item.subject, item.body, item.text_body) == (SUBJECT, HTML, TEXT)
    assert (item.sender.email_address, [r.email_address for r in item.to_recipients]) == (SENDER, [RECIPIENT])
    assert item.mime_content == message.as_bytes()
    assert find(inbox, "<other@danang.gov.vn>") == []
    assert find(account(lab, OTHER), "<a1@danang.gov.vn>") == []  # delivered to its recipient only
    sent = account(lab, SENDER)
    assert [m.subject for m in sent.sent.filter(message_id="<a1@danang.gov.vn>")] == [SUBJECT]
    [record] = [json.loads(p.read_text(encoding="utf-8")) for p in (lab.state_dir / "sent").glob("*.json")]
    assert (record["sender"], record["to"], record["subject"]) == (SENDER, [RECIPIENT], SUBJECT)
    assert (record["internet_message_id"], record["saved_to"]) == ("<a1@danang.gov.vn>", "sentitems")


def test_a_message_of_fields_is_delivered_except_to_a_recipient_a_rule_rejects(lab: SimpleNamespace) -> None:
    lab.store.set_config(
        "transport_rules",
        [{"Name": "R-23", "State": "Enabled", "Mode": "Enforce", "Priority": 0,
          "RecipientADAttributeContainsWords": ["CustomAttribute2:reclaimed"],
          "RejectMessageReasonText": "Thu hồi"}],
    )  # fmt: skip
    lab.directory.attributes[lab.directory.mailboxes[OTHER].dn] = {"extensionattribute2": ["reclaimed"]}
    sender = account(lab, SENDER)
    Message(
        account=sender, folder=sender.sent, subject=SUBJECT, body=HTMLBody(HTML),
        to_recipients=[Mailbox(email_address=RECIPIENT), Mailbox(email_address=OTHER)],
    ).send_and_save()  # fmt: skip

    [item] = lab.items.find(RECIPIENT, "inbox")
    assert lab.items.find(OTHER, "inbox") == []
    [record] = [json.loads(p.read_text(encoding="utf-8")) for p in (lab.state_dir / "sent").glob("*.json")]
    assert [r["recipient"] for r in record["rejected"]] == [OTHER]
    [got] = account(lab, RECIPIENT).fetch(
        ids=[(item.id, None)], only_fields=["subject", "body", "mime_content", "message_id"]
    )
    assert (got.subject, got.body, got.message_id) == (SUBJECT, HTML, item.content.internet_message_id)
    assert got.message_id.endswith("@EXLAB01.danang.gov.vn>") and SUBJECT.encode() not in got.mime_content


def test_finding_pages_as_exchangelib_asks(lab: SimpleNamespace) -> None:
    for n in range(5):
        send(lab, composed(RECIPIENT, f"<p{n}@danang.gov.vn>"))
    inbox = account(lab, RECIPIENT)
    query = inbox.inbox.all().only("message_id")
    query.page_size = 2
    assert sorted(m.message_id for m in query) == [f"<p{n}@danang.gov.vn>" for n in range(5)]
    assert inbox.inbox.all().count() == 5


def test_a_user_finds_nothing_in_a_mailbox_it_may_not_open(lab: SimpleNamespace) -> None:
    send(lab, composed(RECIPIENT, "<a2@danang.gov.vn>"))
    with pytest.raises(ErrorAccessDenied):
        find(account(lab, RECIPIENT, user=OTHER), "<a2@danang.gov.vn>")


def _impersonating(address: str) -> str:
    return (
        '<t:RequestServerVersion Version="Exchange2016"/><t:ExchangeImpersonation><t:ConnectingSID>'
        f"<t:PrimarySmtpAddress>{address}</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"
    )


def _mime(message: EmailMessage) -> str:
    return base64.b64encode(message.as_bytes()).decode()


def _codes(answer: tuple[int, str, bytes]) -> list[str]:
    status, _, body = answer
    assert status == 200
    return [e.text for e in etree.fromstring(body).iter(f"{{{MNS}}}ResponseCode")]


def test_a_refused_message_does_not_stop_the_next(lab: SimpleNamespace) -> None:
    items = "".join(
        f"<t:Message><t:MimeContent>{mime}</t:MimeContent></t:Message>"
        for mime in (_mime(composed("nobody", "<r1@x>")), "not base64!", _mime(composed(RECIPIENT, "<r2@x>")))
    )
    answer = ews.handle(
        request(f'<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>{items}</m:Items>'
                "</m:CreateItem>", _impersonating(SENDER)),
        ADMIN,
        lab,
    )  # fmt: skip
    assert _codes(answer) == ["ErrorInvalidRecipients", "ErrorMimeContentConversionFailed", "NoError"]
    assert [i.content.internet_message_id for i in lab.items.find(RECIPIENT, "inbox")] == ["<r2@x>"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('<m:FindItem Traversal="Deep"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
         '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>',
         "ErrorSchemaValidation"),
        ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
         '<m:Restriction><t:Contains><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="x"/>'
         "</t:Contains>"
         '</m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds>'
         "</m:FindItem>",
         "ErrorInvalidOperation"),
        ('<m:FindItem Traversal="Shallow"><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/>'
         "</m:ParentFolderIds><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape></m:FindItem>",
         "ErrorSchemaValidation"),
        ('<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>'
         '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="-1" BasePoint="Beginning"/>'
         '<m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>',
         "ErrorSchemaValidation"),
    ],
    ids=["deep-traversal", "other-restriction", "out-of-order", "negative-offset"],
)  # fmt: skip
def test_find_requests_exchange_refuses(lab: SimpleNamespace, body: str, code: str) -> None:
    assert fault_code(ews.handle(request(body, _impersonating(RECIPIENT)), ADMIN, lab)) == code


def test_get_item_of_an_unknown_or_malformed_id(lab: SimpleNamespace) -> None:
    send(lab, composed(RECIPIENT, "<g1@x>"))
    [item] = lab.items.find(RECIPIENT, "inbox")
    gone = item_id(RECIPIENT, "inbox")  # well-formed, never stored
    ids = "".join(f'<t:ItemId Id="{value}"/>' for value in ("bm9wZQ==", gone, item.id))
    answer = ews.handle(
        request(f"<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds>{ids}"
                "</m:ItemIds></m:GetItem>", _impersonating(RECIPIENT)),
        ADMIN,
        lab,
    )  # fmt: skip
    assert _codes(answer) == ["ErrorInvalidIdMalformed", "ErrorItemNotFound", "NoError"]
