"""The Exchange lab's EWS endpoint through exchangelib, the client the backend uses.

Inbox rules round-trip (the forwarding R-50 audits), bad input and unknown mailboxes give the
errors Exchange gives, who may open which mailbox, sending records the message, and every mailbox
opened stamps a logon (inactivity, R-23).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
from exchange_lab import ews
from exchange_lab.inbox_rules import InboxRuleStore
from exchange_lab.mail_items import ItemStore
from exchange_lab.store import MailboxStore
from exchangelib import DELEGATE, IMPERSONATION, Account, Configuration, Credentials, Message, Version
from exchangelib.errors import (
    ErrorAccessDenied,
    ErrorImpersonateUserDenied,
    ErrorInboxRulesValidationError,
    ErrorInvalidRecipients,
    ErrorNonExistentMailbox,
    ErrorSendAsDenied,
)
from exchangelib.properties import Actions, Address, Conditions, Rule
from exchangelib.version import EXCHANGE_2016

pytestmark = pytest.mark.integration

DOMAIN = "danang.gov.vn"
ADMIN = f"administrator@{DOMAIN}"


@dataclass(frozen=True)
class Ref:
    dn: str
    alias: str
    primary_smtp_address: str
    exchange_guid: str


@dataclass
class Directory:
    """The directory interface EWS uses, over a dict (until the lab's AD stand-in is wired)."""

    passwords: dict[str, str] = field(default_factory=dict)
    mailboxes: dict[str, Ref] = field(default_factory=dict)
    logons: list[tuple[str, datetime]] = field(default_factory=list)

    def add(self, alias: str, password: str, mailbox: bool = True) -> str:
        address = f"{alias}@{DOMAIN}"
        self.passwords[address] = password
        if mailbox:
            self.mailboxes[address] = Ref(
                f"CN={alias},OU=DanangMail,DC=danang,DC=gov,DC=vn", alias, address, alias
            )
        return address

    def authenticate(self, user: str, password: str) -> bool:
        return self.passwords.get(user.lower()) == password

    def resolve_mailbox(self, identity: str) -> Ref | None:
        return self.mailboxes.get(identity.lower())

    def record_logon(self, dn: str, when: datetime) -> None:
        self.logons.append((dn, when))

    def read(self, dn: str, attributes: list[str] | None = None) -> dict:
        """An entry's objectGUID (whose rights EWS looks up in the store)."""
        return {"dn": dn, "objectguid": [uuid.uuid5(uuid.NAMESPACE_X500, dn).bytes_le]}


@dataclass
class Lab:
    url: str
    directory: Directory
    state_dir: Path
    now: datetime

    def account(self, address: str, user: str, access_type: str = DELEGATE) -> Account:
        config = Configuration(
            service_endpoint=self.url,
            credentials=Credentials(user, self.directory.passwords[user]),
            version=Version(build=EXCHANGE_2016),
        )
        return Account(address, config=config, autodiscover=False, access_type=access_type)

    def sent(self) -> list[dict]:
        messages = [
            json.loads(p.read_text(encoding="utf-8")) for p in (self.state_dir / "sent").glob("*.json")
        ]
        return sorted(messages, key=lambda m: (m["time"], m["subject"]))


@pytest.fixture
def lab(tmp_path: Path):
    directory = Directory()
    directory.add("administrator", "admin-pw", mailbox=False)
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    state = SimpleNamespace(
        directory=directory,
        rules=InboxRuleStore(tmp_path / "inbox_rules.json"),
        store=MailboxStore(tmp_path / "store.sqlite3"),
        items=ItemStore(tmp_path / "items.sqlite3"),
        clock=SimpleNamespace(now=lambda: now),
        state_dir=tmp_path,
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            user, _, password = (
                base64.b64decode(self.headers.get("Authorization", "x")[6:]).decode().partition(":")
            )
            if not directory.authenticate(user, password):
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

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Lab(f"http://127.0.0.1:{server.server_port}/EWS/Exchange.asmx", directory, tmp_path, now)
    server.shutdown()
    server.server_close()


def forward_rule(name: str, **actions) -> Rule:
    return Rule(
        display_name=name,
        priority=1,
        is_enabled=True,
        conditions=Conditions(contains_subject_strings=["báo cáo"]),
        actions=Actions(**{k: [Address(email_address=a) for a in v] for k, v in actions.items()}),
    )


def test_inbox_rules_round_trip(lab: Lab) -> None:
    alice = lab.directory.add("alice", "pw-alice")
    account = lab.account(alice, alice)
    assert account.rules == []

    forward = forward_rule("Chuyển tiếp", forward_to_recipients=["x@gmail.com"])
    account.create_rule(forward)
    redirect = forward_rule("Redirect", redirect_to_recipients=["y@example.org"])
    account.create_rule(redirect)
    attach = forward_rule("Attach", forward_as_attachment_to_recipients=[alice])
    account.create_rule(attach)

    rules = {rule.display_name: rule for rule in account.rules}
    assert [r.display_name for r in sorted(rules.values(), key=lambda r: r.priority)] == [
        "Attach",
        "Redirect",
        "Chuyển tiếp",
    ]  # each new rule went in at priority 1, pushing the others down
    assert rules["Chuyển tiếp"].id == forward.id
    assert [a.email_address for a in rules["Chuyển tiếp"].actions.forward_to_recipients] == ["x@gmail.com"]
    assert rules["Chuyển tiếp"].conditions.contains_subject_strings == ["báo cáo"]
    assert rules["Redirect"].actions.redirect_to_recipients[0].mailbox_type == "OneOff"
    assert rules["Attach"].actions.forward_as_attachment_to_recipients[0].mailbox_type == "Mailbox"

    changed = rules["Redirect"]
    changed.display_name = "Redirect elsewhere"
    changed.is_enabled = False
    changed.priority = 3
    changed.conditions = None
    changed.actions = Actions(redirect_to_recipients=[Address(email_address="z@example.org")])
    changed.save()
    after = {rule.display_name: rule for rule in account.rules}
    assert after["Redirect elsewhere"].is_enabled is False
    assert after["Redirect elsewhere"].priority == 3
    assert [a.email_address for a in after["Redirect elsewhere"].actions.redirect_to_recipients] == [
        "z@example.org"
    ]
    assert after["Redirect elsewhere"].conditions is None  # SetRuleOperation replaces the whole rule

    for rule in after.values():
        rule.delete()
    assert account.rules == []


def test_bad_rules_are_refused_with_exchange_codes(lab: Lab) -> None:
    alice = lab.directory.add("alice", "pw-alice")
    account = lab.account(alice, alice)

    def rule(name: str, priority: int = 1, **actions) -> Rule:
        return Rule(display_name=name, priority=priority, is_enabled=True, actions=Actions(**actions))

    cases = [
        (
            forward_rule("bad", forward_to_recipients=["not an address"]),
            "InvalidAddress on field Action:Forward",
        ),
        (rule("no action"), "MissingAction on field Actions"),
        (rule("zero", priority=0, delete=True), "InvalidValue on field Priority"),
        (rule("importance", mark_importance="High"), "UnsupportedRule on field Action:MarkImportance"),
    ]
    for rule, expected in cases:
        with pytest.raises(ErrorInboxRulesValidationError, match=expected):
            account.create_rule(rule)
    ghost = forward_rule("ghost", forward_to_recipients=["x@gmail.com"])
    ghost.id = "AQAAAAAAAP8="
    with pytest.raises(ErrorInboxRulesValidationError, match="RuleNotFound on field RuleId"):
        account.set_rule(ghost)
    assert account.rules == []  # nothing half-applied


def test_unknown_mailbox_and_access(lab: Lab) -> None:
    alice = lab.directory.add("alice", "pw-alice")
    bob = lab.directory.add("bob", "pw-bob")
    nobody = f"nobody@{DOMAIN}"

    with pytest.raises(ErrorNonExistentMailbox):
        _ = lab.account(nobody, ADMIN).rules
    with pytest.raises(ErrorNonExistentMailbox):
        _ = lab.account(nobody, ADMIN, IMPERSONATION).rules
    with pytest.raises(ErrorAccessDenied):
        _ = lab.account(alice, bob).rules
    with pytest.raises(ErrorImpersonateUserDenied):
        _ = lab.account(alice, bob, IMPERSONATION).rules

    # The service account manages anyone's rules by impersonation (UpdateInboxRules acts on the
    # caller's own mailbox unless impersonating) and reads them by delegate access too.
    lab.account(alice, ADMIN, IMPERSONATION).create_rule(
        forward_rule("audit", forward_to_recipients=["a@b.vn"])
    )
    assert [r.display_name for r in lab.account(alice, ADMIN).rules] == ["audit"]
    assert lab.account(bob, bob).rules == []


def test_logons_are_stamped_for_the_mailbox_opened(lab: Lab) -> None:
    alice = lab.directory.add("alice", "pw-alice")
    bob = lab.directory.add("bob", "pw-bob")
    _ = lab.account(alice, alice).rules
    _ = lab.account(alice, ADMIN, IMPERSONATION).rules
    with pytest.raises(ErrorAccessDenied):
        _ = lab.account(alice, bob).rules
    alice_dn = lab.directory.mailboxes[alice].dn
    assert lab.directory.logons == [(alice_dn, lab.now), (alice_dn, lab.now)]


def test_sending_records_the_message(lab: Lab) -> None:
    alice = lab.directory.add("alice", "pw-alice")
    account = lab.account(alice, alice)
    Message(account=account, subject="Giấy mời", body="Kính gửi", to_recipients=["x@gmail.com"]).send(
        save_copy=False
    )
    Message(
        account=account, subject="Copy", body="b", to_recipients=["y@example.org"], cc_recipients=[alice]
    ).send()

    sent = {m["subject"]: m for m in lab.sent()}  # the lab clock stood still: order by subject
    assert [(m["sender"], m["to"], m["cc"], m["disposition"], m["saved_to"]) for m in sent.values()] == [
        (alice, ["y@example.org"], [alice], "SendAndSaveCopy", "sentitems"),
        (alice, ["x@gmail.com"], [], "SendOnly", None),
    ]
    assert sent["Giấy mời"]["body"] == "Kính gửi"
    assert sent["Giấy mời"]["time"] == lab.now.isoformat()

    with pytest.raises(ErrorInvalidRecipients):
        Message(account=account, subject="nobody", body="b").send(save_copy=False)
    bob = lab.directory.add("bob", "pw-bob")
    with pytest.raises(ErrorSendAsDenied):
        Message(account=account, subject="s", body="b", to_recipients=[alice], author=bob).send(
            save_copy=False
        )
    assert len(lab.sent()) == 2
