# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How to reach one Exchange organisation and its AD: ``ExchangeConfig``, the clients it opens
(``open_clients``) and the modules' connection options (the doc fragment ``danang.mail.exchange``)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    ADConnection,
    ADError,
    Directory,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.export import share_problem
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    AUTHS,
    ENCRYPTIONS,
    HAS_PYPSRP,
    PYPSRP_IMPORT_ERROR,
    ExchangeConnection,
    ExchangeError,
    ExchangeTransport,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import (
    HAS_LDAP3,
    LDAP3_IMPORT_ERROR,
)


@dataclass(frozen=True)
class ExchangeConfig:
    exchange: ExchangeConnection
    ad: ADConnection
    databases: tuple[str, ...] = ()  # spread new mailboxes over these; Exchange chooses when empty
    statistics: bool = False  # read() also reads Get-MailboxStatistics (mailbox_info, quota)
    export_share: Optional[str] = None  # UNC share that mailbox exports are written to
    ews_url: Optional[str] = None  # EWS endpoint (notifications); default from exchange_server


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def open_clients(
    config: ExchangeConfig, transport: Optional[ExchangeTransport] = None
) -> tuple[ExchangeTransport, Directory]:
    """The Exchange session and the AD directory of ``config``, each connecting on first use (audits
    and locks never open a PowerShell session); raises ``BackendError`` when a library is missing."""
    try:
        return transport or ExchangeTransport(config.exchange), Directory(config.ad)
    except (ExchangeError, ADError) as exc:
        raise BackendError(str(exc)) from None


# --- the options of the doc fragment danang.mail.exchange -------------------------------------------
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "exchange_server": {"type": "str"},
    "exchange_port": {"type": "int"},
    "exchange_path": {"type": "str", "default": "PowerShell"},
    "exchange_auth": {"type": "str", "default": "kerberos", "choices": list(AUTHS)},
    "exchange_ssl": {"type": "bool", "default": False},
    "exchange_encryption": {"type": "str", "default": "auto", "choices": list(ENCRYPTIONS)},
    "exchange_validate_certs": {"type": "bool", "default": True},
    "exchange_ca_file": {"type": "path"},
    "exchange_username": {"type": "str"},
    "exchange_password": {"type": "str", "no_log": True},
    "exchange_databases": {"type": "list", "elements": "str", "default": []},
    "exchange_batch_size": {"type": "int", "default": 50},
    "exchange_runspaces": {"type": "int", "default": 4},
    "exchange_timeout": {"type": "int", "default": 120},
    "exchange_export_share": {"type": "str"},
    "exchange_ews_url": {"type": "str"},
    "ad_uri": {"type": "str"},
    "ad_bind_user": {"type": "str"},
    "ad_bind_password": {"type": "str", "no_log": True},
    "ad_base_dn": {"type": "str", "default": "DC=danang,DC=gov,DC=vn"},
    "ad_managed_ou": {"type": "str", "default": "OU=DanangMail,DC=danang,DC=gov,DC=vn"},
    "ad_starttls": {"type": "bool", "default": False},
    "ad_validate_certs": {"type": "bool", "default": True},
    "ad_ca_file": {"type": "path"},
}
REQUIRED = ("exchange_server", "ad_uri")  # with backend exchange


def missing_library() -> Optional[tuple[str, Optional[str]]]:
    """(library, traceback) of the first library the backend lacks, or None."""
    if not HAS_PYPSRP:
        return "pypsrp", PYPSRP_IMPORT_ERROR
    if not HAS_LDAP3:
        return "ldap3", LDAP3_IMPORT_ERROR
    return None


def config_from_params(params: Mapping[str, Any], *, statistics: bool = False) -> ExchangeConfig:
    """An ``ExchangeConfig`` from a module's parameters (the keys of ``ARGUMENT_SPEC``)."""
    p = {key: params.get(key, spec.get("default")) for key, spec in ARGUMENT_SPEC.items()}
    bind_user = p["ad_bind_user"] or p["exchange_username"]
    bind_password = p["ad_bind_password"] if p["ad_bind_password"] is not None else p["exchange_password"]
    for name in ("exchange_batch_size", "exchange_runspaces"):
        if p[name] is None or p[name] < 1:
            raise BackendError(f"{name} must be 1 or more, not {p[name]}")
    share = p["exchange_export_share"]
    if share is not None and share_problem(share):  # an unset share is refused only when used
        raise BackendError(str(share_problem(share)))
    if not bind_user or bind_password is None:
        raise BackendError("AD needs ad_bind_user and ad_bind_password (or exchange_username/_password)")
    return ExchangeConfig(
        exchange=ExchangeConnection(
            server=p["exchange_server"],
            port=p["exchange_port"],
            path=p["exchange_path"],
            auth=p["exchange_auth"],
            ssl=p["exchange_ssl"],
            encryption=p["exchange_encryption"],
            validate_certs=p["exchange_validate_certs"],
            ca_file=p["exchange_ca_file"],
            username=p["exchange_username"],
            password=p["exchange_password"],
            timeout=p["exchange_timeout"],
            batch_size=p["exchange_batch_size"],
            runspaces=p["exchange_runspaces"],
        ),
        ad=ADConnection(
            uri=p["ad_uri"],
            bind_user=bind_user,
            password=bind_password,
            base_dn=p["ad_base_dn"],
            managed_ou=p["ad_managed_ou"],
            starttls=p["ad_starttls"],
            validate_certs=p["ad_validate_certs"],
            ca_file=p["ad_ca_file"],
        ),
        databases=tuple(p["exchange_databases"] or ()),
        statistics=statistics,
        export_share=share,
        ews_url=p["exchange_ews_url"],
    )
