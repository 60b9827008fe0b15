# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the recipient cmdlets share: identity resolution, Exchange's validation rules, errors."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from psrpcore.types import ErrorCategory

from exchange_lab.cmdlets.errors import CmdletError, task_error
from exchange_lab.cmdlets.objects import first
from exchange_lab.password_policy import DOMAIN_POLICY, refusal, remember

NOT_FOUND = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException"
AMBIGUOUS = "Microsoft.Exchange.Configuration.Tasks.ManagementObjectAmbiguousException"
VALIDATION = "Microsoft.Exchange.Data.DataValidationException"
EXISTS = "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException"
PROXY_EXISTS = "Microsoft.Exchange.Data.Directory.ProxyAddressExistsException"
RECIPIENT_TASK = "Microsoft.Exchange.Configuration.Tasks.RecipientTaskException"
DC = "EXLAB-DC01.danang.gov.vn"

# Exchange's alias rule: ASCII letters, digits, these symbols, inner periods; U+00A1-U+00FF too.
_ALIAS_CHARS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00a1-\u00ff]+(?:\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u00a1-\u00ff]+)*$"
)
_ALIAS_MESSAGE = (
    'Property expression "{0}" isn\'t valid. Valid values are: Strings formed with characters from A to Z '
    "(uppercase or lowercase), digits from 0 to 9, !, #, $, %, &, ', *, +, -, /, =, ?, ^, _, `, {{, "
    "|, }} or ~. "
    "One or more periods may be embedded in an alias, but each period should be preceded and "
    "followed by at least "
    "one of the other characters. Unicode characters from U+00A1 to U+00FF are also valid in an "
    "alias, but they "
    "will be mapped to a best-fit US-ASCII string in the email address, which is generated from "
    "such an alias."
)
_SAM_FORBIDDEN = set('"/\\[]:;|=,+*?<>@')


def not_found(identity: str, task_class: str) -> CmdletError:
    return task_error(
        f"The operation couldn't be performed because object '{identity}' couldn't be found on '{DC}'.",
        NOT_FOUND,
        task_class,
        ErrorCategory.NotSpecified,
        identity,
    )


def resolve(ctx: Any, identity: str, *, mailbox: bool | None = None) -> dict[str, Any]:
    """The one AD user an -Identity names (mailbox True: must have one, False: must not)."""
    directory = ctx.lab.directory
    entries = [e for e in (directory.read(dn) for dn in directory.resolve(identity)) if e is not None]
    entries = [e for e in entries if "user" in [c.lower() for c in e.get("objectclass", [])]]
    if mailbox is True:
        entries = [e for e in entries if e.get("msexchmailboxguid")]
    if not entries:
        raise not_found(identity, ctx.task_class)
    if len(entries) > 1:
        raise task_error(
            f"The operation couldn't be performed because '{identity}' matches multiple entries.",
            AMBIGUOUS,
            ctx.task_class,
            target=identity,
        )
    return entries[0]


def fold_ascii(text: str) -> str:
    """Best-fit US-ASCII, as Exchange maps U+00A1-U+00FF alias letters into addresses."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def check_alias(ctx: Any, alias: str) -> None:
    if not alias or len(alias) > 64 or not _ALIAS_CHARS.match(alias):
        raise task_error(
            _ALIAS_MESSAGE.format(alias), VALIDATION, ctx.task_class, ErrorCategory.InvalidData, alias
        )


def derive_alias(text: str) -> str:
    """Exchange's alias from a UPN prefix or a name: invalid characters dropped."""
    kept = re.sub(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.\u00a1-\u00ff]", "", text)
    return re.sub(r"\.{2,}", ".", kept).strip(".")[:64] or "user"


def check_name(ctx: Any, name: str | None, field: str = "Name") -> str:
    if not name or not name.strip():
        raise task_error(
            f"The value of property '{field}' can't be empty.",
            VALIDATION,
            ctx.task_class,
            ErrorCategory.InvalidData,
        )
    if len(name) > 64:
        raise task_error(
            f"The length of the property is too long. The maximum length is 64 and the length of "
            "the value provided "
            f"is {len(name)}.",
            VALIDATION,
            ctx.task_class,
            ErrorCategory.InvalidData,
            name,
        )
    return name.strip()


def check_sam(ctx: Any, sam: str) -> None:
    if len(sam) > 20:
        raise task_error(
            f"The length of the property is too long. The maximum length is 20 and the length of "
            "the value provided "
            f"is {len(sam)}.",
            VALIDATION,
            ctx.task_class,
            ErrorCategory.InvalidData,
            sam,
        )
    if not sam or set(sam) & _SAM_FORBIDDEN or sam.endswith("."):
        raise task_error(
            f'The SamAccountName "{sam}" contains characters that aren\'t valid.',
            VALIDATION,
            ctx.task_class,
            ErrorCategory.InvalidData,
            sam,
        )


def check_password(
    ctx: Any, password: str, sam: str, display_name: str, entry: dict[str, Any] | None
) -> bytes:
    """AD's check of a password an administrator sets (a new account's, when ``entry`` is None: the
    domain's policy, it is in no group yet; or a reset) against the policy that governs the account:
    length and complexity (``password_policy``). Not history: a password set (not a change) is held to
    it only when the request carries the LDAP_SERVER_POLICY_HINTS control with flag 1 (MS-ADTS
    3.1.1.3.4.1.27), which Set-Mailbox -Password does not send. The password still enters the
    history: returns the history to store with it (ntPwdHistory)."""
    directory = ctx.lab.directory
    policy = directory.computed.policy_for(entry["dn"]) if entry else DOMAIN_POLICY
    history = first(entry, "ntPwdHistory") if entry else None
    if refusal(password, sam, display_name, policy, None):
        # One message for the three causes, as AD gives (ERROR_PASSWORD_RESTRICTION, 0x52D).
        raise task_error(
            f"Active Directory operation failed on {DC}. This error is not retriable. Additional "
            "information: The "
            "password does not meet the length, complexity, or history requirement of the domain.",
            "Microsoft.Exchange.Data.Directory.ADOperationException",
            ctx.task_class,
            ErrorCategory.NotSpecified,
        )
    return remember(history, password, policy)


def check_unique(ctx: Any, kind: str, value: str, own_dn: str | None = None) -> None:
    """Refuse a Name (in the same OU), alias, UPN, sAMAccountName or SMTP address someone else holds."""
    holders = {
        dn for dn in ctx.lab.directory.holders(kind, value) if own_dn is None or dn.lower() != own_dn.lower()
    }
    if not holders:
        return
    other = sorted(holders)[0]
    messages = {
        "alias": (
            f'The alias "{value}" is already being used by "{other}". Please choose another alias.',
            EXISTS,
        ),
        "upn": (
            f'The UserPrincipalName "{value}" is already being used by "{other}". Please choose another '
            "user principal name.",
            EXISTS,
        ),
        "sam": (
            f'The SamAccountName "{value}" is already being used by "{other}". Please choose another.',
            EXISTS,
        ),
        "addr": (
            f'The proxy address "SMTP:{value}" is already being used by the proxy addresses or '
            f'LegacyExchangeDN of "{other}". Please choose another proxy address.',
            PROXY_EXISTS,
        ),
    }
    message, exception = messages[kind]
    raise task_error(message, exception, ctx.task_class, ErrorCategory.NotSpecified, value)


def check_name_free(ctx: Any, dn: str) -> None:
    if ctx.lab.directory.read(dn, ["cn"]) is not None:
        raise task_error(
            f"Active Directory operation failed on {DC}. The object '{dn}' already exists.",
            EXISTS,
            ctx.task_class,
            ErrorCategory.NotSpecified,
            dn,
        )


def smtp_addresses(entry: dict[str, Any]) -> list[str]:
    return [a.split(":", 1)[1] for a in entry.get("proxyaddresses", []) if a.lower().startswith("smtp:")]


def display(entry: dict[str, Any]) -> str:
    return first(entry, "displayName") or first(entry, "cn")
