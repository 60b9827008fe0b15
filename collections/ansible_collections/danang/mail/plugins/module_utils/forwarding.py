# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Forwarding outside the city (R-50): what a forward is, and which ones must go. Pure, no I/O.

Each system's ``read_forwards()`` returns one :class:`Forward` per (holder, target, mechanism,
where) it finds in one bulk pass: OBM Sieve ``redirect`` commands, Exchange mailbox forwarding
properties, inbox rules that forward, redirect or forward as attachment, and transport rules that
send mail on. :func:`judge` says which are outside the city's domains; in enforce mode the system's
``remove_forwards()`` stops exactly those (enabled ones), and leaves every inside forward alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# How a forward was set, as reports name it.
SIEVE_REDIRECT = "sieve_redirect"  # OBM: a Sieve redirect (OBM's own "nomade" forwarding is one)
# OBM: a script that cannot be read or parsed (target ""; ``where`` says which and why): a finding for
# the operator, never removed by enforce.
SIEVE_UNPARSEABLE = "sieve_unparseable"
MAILBOX_FORWARDING_SMTP = "mailbox_forwarding_smtp"  # Exchange: Set-Mailbox -ForwardingSmtpAddress
MAILBOX_FORWARDING_ADDRESS = "mailbox_forwarding_address"  # Exchange: -ForwardingAddress (a recipient)
INBOX_RULE_FORWARD = "inbox_rule_forward"  # Exchange inbox rule: ForwardTo
INBOX_RULE_REDIRECT = "inbox_rule_redirect"  # RedirectTo
INBOX_RULE_FORWARD_AS_ATTACHMENT = "inbox_rule_forward_as_attachment"  # ForwardAsAttachmentTo
TRANSPORT_RULE = (
    "transport_rule"  # Exchange transport rule: RedirectMessageTo, BlindCopyTo, CopyTo, AddToRecipients
)

MECHANISMS: dict[str, str] = {
    SIEVE_REDIRECT: "Sieve redirect (OBM forwarding)",
    SIEVE_UNPARSEABLE: "Sieve script that cannot be read or parsed (check it by hand)",
    MAILBOX_FORWARDING_SMTP: "mailbox forwarding (ForwardingSmtpAddress)",
    MAILBOX_FORWARDING_ADDRESS: "mailbox forwarding to a recipient (ForwardingAddress)",
    INBOX_RULE_FORWARD: "inbox rule: forward",
    INBOX_RULE_REDIRECT: "inbox rule: redirect",
    INBOX_RULE_FORWARD_AS_ATTACHMENT: "inbox rule: forward as attachment",
    TRANSPORT_RULE: "transport rule",
}


@dataclass(frozen=True, order=True)
class Forward:
    """One forward as a system holds it.

    ``holder``: the lower-case main address of the mailbox whose mail is sent on ("" for an
    organisation-wide transport rule). ``target``: the lower-case SMTP address it goes to (a
    ForwardingAddress recipient is resolved to its external address). ``where``: what names the
    forward on its system, so ``remove_forwards`` finds it again (the Sieve script's name, the inbox
    rule's identity, the transport rule's name, the mailbox property). ``enabled``: whether it
    forwards today (an active script, an enabled rule); a disabled one is reported, not removed.
    """

    system: str
    holder: str
    target: str
    mechanism: str
    where: str
    enabled: bool = True

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def is_inside(address: str, city_domains: Iterable[str]) -> bool:
    """Whether ``address`` is in one of the city's domains or a subdomain of one (R-01, R-50).

    An address without a domain part is a local name on the system itself: inside.
    """
    if "@" not in address:
        return True
    domain = domain_of(address)
    return any(
        domain == d or domain.endswith("." + d) for d in (c.strip().rstrip(".").lower() for c in city_domains)
    )


@dataclass(frozen=True)
class Finding:
    """A forward and what the rule says of it: ``outside`` the city, and whether enforce stops it
    (``remove``: outside and enabled). ``unknown``: the system could not say where it goes (a Sieve
    script that cannot be read or parsed): never removed, for the operator to check by hand."""

    forward: Forward
    outside: bool

    @property
    def remove(self) -> bool:
        return self.outside and self.forward.enabled

    @property
    def unknown(self) -> bool:
        return not self.forward.target

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.forward.as_dict(),
            "outside": self.outside,
            "unknown": self.unknown,
            "how": MECHANISMS.get(self.forward.mechanism, ""),
        }


def judge(forwards: Iterable[Forward], city_domains: Sequence[str]) -> list[Finding]:
    """Every forward, sorted (system, holder, target…), with whether it leaves the city."""
    return [Finding(f, not is_inside(f.target, city_domains)) for f in sorted(set(forwards))]
