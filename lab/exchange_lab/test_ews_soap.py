"""The EWS endpoint's handling of requests no client library would send: malformed, hostile or
outside what the lab implements. Each gets the SOAP fault Exchange gives, never a crash."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from exchange_lab import ews
from exchange_lab.ews_soap import ENS, SOAP, TNS
from exchange_lab.inbox_rules import InboxRuleStore

HEAD = (
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
    ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
)


def request(body: str, header: str = '<t:RequestServerVersion Version="Exchange2016"/>') -> bytes:
    return f"{HEAD}<s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>".encode()


class Directory:
    def __init__(self) -> None:
        self.logons: list[str] = []
        self.ref = SimpleNamespace(
            dn="CN=alice", alias="alice", primary_smtp_address="alice@danang.gov.vn", exchange_guid="g1"
        )

    def resolve_mailbox(self, identity: str):
        return self.ref if identity.lower() == self.ref.primary_smtp_address else None

    def record_logon(self, dn: str, when: datetime) -> None:
        self.logons.append(dn)


@pytest.fixture
def lab(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(
        directory=Directory(),
        rules=InboxRuleStore(tmp_path / "rules.json"),
        clock=SimpleNamespace(now=lambda: datetime(2026, 1, 5, tzinfo=UTC)),
        state_dir=tmp_path,
    )


def fault_code(answer: tuple[int, str, bytes]) -> str:
    status, content_type, body = answer
    assert (status, content_type) == (500, ews.CONTENT_TYPE)
    fault = etree.fromstring(body).find(f"{{{SOAP}}}Body/{{{SOAP}}}Fault")
    assert fault.findtext("faultcode") == "a:" + fault.findtext(f"detail/{{{ENS}}}ResponseCode")
    return fault.findtext(f"detail/{{{ENS}}}ResponseCode")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<not-xml",
        b"<Envelope/>",
        request(""),
        request("<m:GetInboxRules/><m:GetInboxRules/>"),
        request("<m:GetInboxRules/>", header='<t:RequestServerVersion Version="Exchange2099"/>'),
        request("<m:UpdateInboxRules><m:Operations><t:CreateRuleOperation><t:Rule>"
                "<t:DisplayName>x</t:DisplayName><t:Priority>1</t:Priority>"
                "</t:Rule></t:CreateRuleOperation></m:Operations></m:UpdateInboxRules>"),
        request("<m:UpdateInboxRules><m:Operations><t:CreateRuleOperation><t:Rule>"
                "<t:Priority>1</t:Priority><t:DisplayName>x</t:DisplayName><t:IsEnabled>yes</t:IsEnabled>"
                "</t:Rule></t:CreateRuleOperation></m:Operations></m:UpdateInboxRules>"),
    ],
    ids=["empty", "not-xml", "no-soap", "no-operation", "two-operations", "bad-version", "no-IsEnabled",
         "out-of-order"],
)  # fmt: skip
def test_malformed_requests_fail_schema_validation(lab: SimpleNamespace, body: bytes) -> None:
    assert fault_code(ews.handle(body, "alice@danang.gov.vn", lab)) == "ErrorSchemaValidation"
    assert lab.directory.logons == []


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE s:Envelope [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE s:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
    ids=["entity-expansion", "external-entity"],
)
def test_dtds_are_refused(lab: SimpleNamespace, doctype: str) -> None:
    body = doctype.encode() + request(
        "<m:GetInboxRules><m:MailboxSmtpAddress>&b;&x;</m:MailboxSmtpAddress></m:GetInboxRules>"
    )
    status, _, answer = ews.handle(body, "alice@danang.gov.vn", lab)
    assert fault_code((status, ews.CONTENT_TYPE, answer)) == "ErrorSchemaValidation"
    assert b"root:" not in answer and b"aaaaaaaaaa" not in answer


def test_operations_the_lab_does_not_implement_are_named(lab: SimpleNamespace) -> None:
    status, content_type, body = ews.handle(request("<m:GetDelegate/>"), "alice@danang.gov.vn", lab)
    assert fault_code((status, content_type, body)) == "ErrorInvalidOperation"
    assert b"GetDelegate" in body


def test_an_answer_carries_the_server_version(lab: SimpleNamespace) -> None:
    status, _, body = ews.handle(request("<m:GetInboxRules/>"), "alice@danang.gov.vn", lab)
    assert status == 200
    info = etree.fromstring(body).find(f"{{{SOAP}}}Header/{{{TNS}}}ServerVersionInfo")
    assert (info.get("MajorVersion"), info.get("MinorVersion")) == ("15", "1")
    assert lab.directory.logons == ["CN=alice"]
