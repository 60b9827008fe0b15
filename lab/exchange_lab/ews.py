# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's EWS endpoint: SOAP at ``/EWS/Exchange.asmx`` as exchangelib 5
uses it with a fixed version and no autodiscover.

``handle(body, user, lab)`` gets a request the server has already authenticated (Basic, ``user``
is the account) and answers ``(status, content type, body)``. Operations: GetInboxRules,
UpdateInboxRules (``ews_rules``), GetFolder (``ews_items``), CreateItem (``ews_send``: sending, which
delivers into the lab's mailboxes), FindItem and GetItem (``ews_find``); any other is refused with a
fault naming it, so a client path the lab does not cover fails loudly.

Who may open which mailbox, as Exchange decides it: a user opens its own mailbox; the service
account (``administrator@danang.gov.vn``, the lab's only holder of ApplicationImpersonation and
full access) opens any, directly or through the ``ExchangeImpersonation`` header; a user holding
FullAccess on a mailbox (``Add-MailboxPermission``, ``access.py``) opens that one too; anyone else
gets ErrorAccessDenied, or ErrorImpersonateUserDenied when impersonating. Once impersonating, the
request runs with the impersonated user's rights. Each mailbox a request opens gets a logon
stamped through ``lab.directory.record_logon`` at the lab clock's time (what makes inactivity
testable, R-23).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from . import access, ews_find, ews_items, ews_rules, ews_send
from .ews_soap import (
    MNS,
    REQUEST_VERSIONS,
    SOAP,
    Fault,
    ResponseError,
    SchemaError,
    envelope,
    fault,
    parse,
    response_message,
    t,
    text,
)

CONTENT_TYPE = "text/xml; charset=utf-8"
SERVICE_ACCOUNT = "administrator@danang.gov.vn"

# name -> (handler, response tag of an operation answered by one message without ResponseMessages)
Handler = Callable[["Session", etree._Element], etree._Element]
OPERATIONS: dict[str, tuple[Handler, str | None]] = {
    "GetInboxRules": (ews_rules.get_inbox_rules, "GetInboxRulesResponse"),
    "UpdateInboxRules": (ews_rules.update_inbox_rules, "UpdateInboxRulesResponse"),
    "GetFolder": (ews_items.get_folder, None),
    "CreateItem": (ews_send.create_item, None),
    "FindItem": (ews_find.find_item, None),
    "GetItem": (ews_find.get_item, None),
}


@dataclass
class Session:
    """One request: whose rights apply and which mailboxes it opened."""

    lab: Any
    user: str
    principal: Any  # MailboxRef of the caller (or of the impersonated user), None without mailbox
    privileged: bool  # the service account acting as itself
    opened: set[str] = field(default_factory=set)

    def open_mailbox(self, address: str | None) -> Any:
        """The mailbox at ``address`` (the principal's own when None), checked and stamped."""
        if address is None:
            if self.principal is None:
                raise ResponseError(
                    "ErrorMissingEmailAddress",
                    "When making a request as an account that does not have a mailbox, you must specify "
                    "the mailbox primary SMTP address.",
                )
            ref = self.principal
        else:
            if "@" not in address:
                raise ResponseError("ErrorInvalidSmtpAddress", "The SMTP address format is invalid.")
            ref = self.lab.directory.resolve_mailbox(address)
            if ref is None:
                raise ResponseError(
                    "ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it."
                )
        if not self.privileged and not self._may_open(ref):
            raise ResponseError("ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        if ref.dn not in self.opened:
            self.opened.add(ref.dn)
            self.lab.directory.record_logon(ref.dn, self.lab.clock.now())
        return ref

    def _may_open(self, ref: Any) -> bool:
        """Its own mailbox, or one it holds FullAccess on (a delegate of a shared mailbox)."""
        if self.principal is None:
            return False
        return ref.dn == self.principal.dn or access.full_access(self.lab, self.principal, ref)


def handle(body: bytes, user: str, lab: Any) -> tuple[int, str, bytes]:
    try:
        root = parse(body)
        header, operation = _envelope_parts(root)
        session = _session(header, user, lab)
        name = etree.QName(operation).localname
        if etree.QName(operation).namespace != MNS or name not in OPERATIONS:
            raise Fault(
                "ErrorInvalidOperation", f"The lab's EWS endpoint does not implement the operation '{name}'."
            )
        handler, single = OPERATIONS[name]
        try:
            content = handler(session, operation)
        except ResponseError as e:
            if single is None:
                raise
            content = response_message(single, e)
        return 200, CONTENT_TYPE, envelope(content)
    except SchemaError as e:
        return (
            500,
            CONTENT_TYPE,
            fault("ErrorSchemaValidation", "The request failed schema validation.", str(e)),
        )
    except Fault as e:
        return 500, CONTENT_TYPE, fault(e.code, e.text)


def _envelope_parts(root: etree._Element) -> tuple[etree._Element | None, etree._Element]:
    if root.tag != f"{{{SOAP}}}Envelope":
        raise SchemaError("The root element must be a SOAP 1.1 Envelope.")
    header = root.find(f"{{{SOAP}}}Header")
    body = root.find(f"{{{SOAP}}}Body")
    operations = [] if body is None else [child for child in body if isinstance(child.tag, str)]
    if len(operations) != 1:
        raise SchemaError("The SOAP Body must hold exactly one operation.")
    return header, operations[0]


def _session(header: etree._Element | None, user: str, lab: Any) -> Session:
    version = None if header is None else header.find(t("RequestServerVersion"))
    if version is not None and version.get("Version") not in REQUEST_VERSIONS:
        raise SchemaError(f"The RequestServerVersion '{version.get('Version')}' is invalid.")
    privileged = user.lower() == SERVICE_ACCOUNT
    impersonation = None if header is None else header.find(t("ExchangeImpersonation"))
    if impersonation is None:
        return Session(lab, user, lab.directory.resolve_mailbox(user), privileged)
    sid = impersonation.find(t("ConnectingSID"))
    ids = [] if sid is None else [child for child in sid if isinstance(child.tag, str)]
    if len(ids) != 1:
        raise SchemaError("The element 'ConnectingSID' must hold exactly one identifier.")
    kind = etree.QName(ids[0]).localname
    if kind not in ("PrincipalName", "PrimarySmtpAddress", "SmtpAddress"):
        raise Fault("ErrorImpersonationFailed", f"The lab impersonates by address or UPN, not {kind}.")
    if not privileged:
        raise Fault(
            "ErrorImpersonateUserDenied",
            "The account does not have permission to impersonate the requested user.",
        )
    target = lab.directory.resolve_mailbox(text(ids[0]).strip())
    if target is None:
        raise Fault("ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.")
    return Session(lab, user, target, privileged=False)
