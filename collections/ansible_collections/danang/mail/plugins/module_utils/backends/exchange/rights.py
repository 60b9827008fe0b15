# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may open a shared mailbox on Exchange (R-71, R-10, R-11, R-46, R-51). Pure: no I/O.

Access is by delegation, never by the mailbox's password (R-46): the persons of ``Account.access``
(owner, delegate; the technical team on ``chanthurac@``) hold FullAccess on the mailbox (with
automapping) and Send As on its AD object, and nobody else does.

- :func:`render_rights` — the managed ``full_access`` and ``send_as`` of a shared mailbox: each the
  sorted addresses holding it.
- :func:`rights_reads` — the bulk read: ONE pipeline per right over every shared mailbox of the
  managed OU (``Get-Mailbox … | Get-MailboxPermission`` and ``… | Get-ADPermission``);
  :func:`observed_rights` turns their rows into the same keys. Only explicit allow entries count:
  inherited and deny entries, ``NT AUTHORITY\\…`` (SELF above all), well-known SIDs and Exchange's
  own groups are the system's, not the city's. A trustee with a managed mailbox is shown as its
  address; anyone else as Exchange names them (``DOMAIN\\user``, or the SID of a deleted account),
  so a right given by hand shows in the plan and apply removes it.
- :func:`rights_invocations` — the adds and removes between two of those values; :func:`name_trustees`
  names each grant's trustee by the DN of the account verified as the holder's own (``-User`` is a
  SecurityPrincipalIdParameter: an address would also find an object outside the managed OU that
  holds it, e.g. one made by hand while the holder's own account could not be created).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation

FULL_ACCESS, SEND_AS = "full_access", "send_as"
RIGHTS = (FULL_ACCESS, SEND_AS)
SHARED_MAILBOX = "SharedMailbox"
# -ExtendedRights takes the right's display name (add-adpermission, Example 1); Get-ADPermission
# shows its cn, "Send-As".
SEND_AS_RIGHT = "Send As"
GRANTS = frozenset({"Add-MailboxPermission", "Add-ADPermission"})
ACE_PROPERTIES = ("Identity", "User", "AccessRights", "IsInherited", "Deny")
AD_ACE_PROPERTIES = (*ACE_PROPERTIES, "ExtendedRights")
# The groups Exchange setup and AD give rights on every mailbox (get-mailboxpermission, Description).
SYSTEM_GROUPS = frozenset(
    name.lower()
    for name in (
        "Administrator",
        "Domain Admins",
        "Enterprise Admins",
        "Organization Management",
        "Exchange Servers",
        "Exchange Trusted Subsystem",
        "Exchange Windows Permissions",
        "Managed Availability Servers",
        "Delegated Setup",
        "Public Folder Management",
    )
)


def render_rights(account: Account) -> dict[str, list[str]]:
    holders = sorted({address.lower() for address in account.access})
    return {FULL_ACCESS: list(holders), SEND_AS: list(holders)}


def rights_reads(managed_ou: str) -> tuple[Invocation, Invocation]:
    """The FullAccess and the Send As read: each one pipeline over every shared mailbox."""
    shared = Invocation.of(
        "Get-Mailbox",
        {
            "RecipientTypeDetails": SHARED_MAILBOX,
            "OrganizationalUnit": managed_ou,
            "ResultSize": "Unlimited",
        },
    )
    return (
        Invocation.of("Get-MailboxPermission", {}, select=ACE_PROPERTIES, source=shared),
        Invocation.of("Get-ADPermission", {}, select=AD_ACE_PROPERTIES, source=shared),
    )


def canonical_names(dn: str) -> set[str]:
    """The forms of a DN's canonical name an ACE's ``Identity`` can take ("danang.gov.vn/DanangMail/
    Name"): AD escapes a '/' inside a name as '\\/'; both forms are kept."""
    parts = [(key.upper(), _unescape(value)) for key, value in _split(dn)]
    domain = ".".join(value for key, value in parts if key == "DC")
    path = [value for key, value in parts if key != "DC"][::-1]
    return {"/".join([domain, *path]), "/".join([domain, *(p.replace("/", "\\/") for p in path)])}


def parent_dn(dn: str) -> str:
    """The DN of the container: what follows the first comma that is not escaped."""
    escaped = False
    for index, char in enumerate(dn):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            return dn[index + 1 :].strip()
    return ""


def _split(dn: str) -> list[tuple[str, str]]:
    parts, current, escaped = [], "", False
    for char in dn:
        if escaped:
            current += "\\" + char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    pairs = [[*p.split("=", 1), ""] for p in parts]
    return [(pair[0].strip(), pair[1].strip()) for pair in pairs]


def _unescape(value: str) -> str:
    out, index = "", 0
    while index < len(value):
        if value[index] == "\\" and index + 1 < len(value):
            pair = value[index + 1 : index + 3]
            if len(pair) == 2 and all(c in "0123456789abcdefABCDEF" for c in pair):
                out += chr(int(pair, 16))
                index += 3
                continue
            out += value[index + 1]
            index += 2
            continue
        out += value[index]
        index += 1
    return out


def is_system(user: str) -> bool:
    """A principal whose rights are Exchange's or Windows', never the city's."""
    text = user.strip()
    upper = text.upper()
    if upper.startswith("NT AUTHORITY\\") or upper.startswith("BUILTIN\\"):
        return True
    if upper.startswith("S-1-"):
        return not upper.startswith("S-1-5-21-")  # domain SIDs are (deleted) accounts
    return text.rpartition("\\")[2].lower() in SYSTEM_GROUPS


def _values(value: Any) -> list[str]:
    """A multi-valued property: a list, or the comma-joined text of an enum's flags."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _counts(row: Mapping[str, Any]) -> bool:
    return str(row.get("IsInherited")).lower() != "true" and str(row.get("Deny")).lower() != "true"


def observed_rights(
    full_access_rows: Iterable[Mapping[str, Any]],
    send_as_rows: Iterable[Mapping[str, Any]],
    mailboxes: Mapping[str, str],
    users: Mapping[str, str],
) -> dict[str, dict[str, list[str]]]:
    """``full_access`` and ``send_as`` of every shared mailbox, keyed by its address.

    ``mailboxes`` maps each shared mailbox's DN to its address; ``users`` maps the lower-cased
    sAMAccountName of each managed mailbox's user to its address (trustees are ``DOMAIN\\sam``)."""
    by_name: dict[str, str] = {}
    for dn, address in mailboxes.items():
        for name in canonical_names(dn):
            by_name[name.lower()] = address
    found: dict[str, dict[str, set[str]]] = {
        a: {FULL_ACCESS: set(), SEND_AS: set()} for a in mailboxes.values()
    }

    def add(right: str, row: Mapping[str, Any]) -> None:
        mailbox = by_name.get(str(row.get("Identity") or "").lower())
        user = str(row.get("User") or "").strip()
        if mailbox is None or not user or is_system(user) or not _counts(row):
            return
        found[mailbox][right].add(users.get(user.rpartition("\\")[2].lower(), user) if "\\" in user else user)

    for row in full_access_rows:
        if "fullaccess" in {r.lower() for r in _values(row.get("AccessRights"))}:
            add(FULL_ACCESS, row)
    for row in send_as_rows:
        if "send-as" in {r.lower().replace(" ", "-") for r in _values(row.get("ExtendedRights"))}:
            add(SEND_AS, row)
    return {address: {k: sorted(v) for k, v in rights.items()} for address, rights in found.items()}


def rights_invocations(
    address: str, dn: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[Invocation]:
    """Adds then removes, for the rights in ``after`` (``before``: what the mailbox holds). Send As
    is on the AD object, named by its DN (``Add-ADPermission -Identity``: ADRawEntryIdParameter)."""
    invocations: list[Invocation] = []
    for right in RIGHTS:
        if right not in after:
            continue
        want, have = set(after[right] or ()), set(before.get(right) or ())
        for user in sorted(want - have):
            invocations.append(_grant(right, address, dn, user))
        for user in sorted(have - want):
            invocations.append(_revoke(right, address, dn, user))
    return invocations


def _grant(right: str, address: str, dn: str, user: str) -> Invocation:
    if right == FULL_ACCESS:
        params = {"Identity": address, "User": user, "AccessRights": "FullAccess", "AutoMapping": True}
        return Invocation.of("Add-MailboxPermission", params, address)
    return Invocation.of(
        "Add-ADPermission", {"Identity": dn, "User": user, "ExtendedRights": SEND_AS_RIGHT}, address
    )


def name_trustees(
    invocations: Sequence[Invocation], trustees: Mapping[str, str]
) -> tuple[list[Invocation], list[str]]:
    """The invocations with each grant's ``-User`` (an address) replaced by its verified account's DN
    (``trustees``: address -> DN), and the addresses granted nothing because they have none."""
    named: list[Invocation] = []
    missing: list[str] = []
    for invocation in invocations:
        user = str(invocation.params.get("User"))
        if invocation.cmdlet not in GRANTS:
            named.append(invocation)
        elif user in trustees:
            params = {**invocation.params, "User": trustees[user]}
            named.append(Invocation.of(invocation.cmdlet, params, invocation.key))
        elif user not in missing:
            missing.append(user)
    return named, missing


def _revoke(right: str, address: str, dn: str, user: str) -> Invocation:
    if right == FULL_ACCESS:
        params: dict[str, Any] = {"Identity": address, "User": user, "AccessRights": "FullAccess"}
        return Invocation.of("Remove-MailboxPermission", {**params, "Confirm": False}, address)
    params = {"Identity": dn, "User": user, "ExtendedRights": SEND_AS_RIGHT, "Confirm": False}
    return Invocation.of("Remove-ADPermission", params, address)


def shared_dns(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """DN -> primary address of the shared mailboxes among ``Get-Mailbox`` records."""
    return {
        str(r["DistinguishedName"]): str(r["PrimarySmtpAddress"]).lower()
        for r in records
        if str(r.get("RecipientTypeDetails")) == SHARED_MAILBOX and r.get("DistinguishedName")
    }
