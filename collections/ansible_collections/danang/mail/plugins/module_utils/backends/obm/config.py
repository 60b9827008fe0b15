# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How to reach one OBM installation: ``ObmConfig`` and the modules' connection options (the doc
fragment ``danang.mail.obm``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import TLS_MODES, CyrusAdmin
from ansible_collections.danang.mail.plugins.module_utils.model import DEFAULT_DOMAIN

# smtp_tls: STARTTLS on the SMTP port, implicit TLS (465), or none (loopback only).
SMTP_TLS_MODES = ("starttls", "smtps", "none")
# OBM's obm_conf.ini default: userMailboxDefaultFolders = 'Trash,Drafts,SPAM,Templates,Sent';
# shareMailboxDefaultFolders = '' (a shared mailbox gets none).
DEFAULT_FOLDERS = ("Trash", "Drafts", "SPAM", "Templates", "Sent")


@dataclass(frozen=True)
class ObmConfig:
    """How to reach one OBM installation (the modules' connection options)."""

    ldap_uri: str
    ldap_bind_dn: str
    ldap_bind_password: str = field(repr=False)
    imap_admin_password: str = field(repr=False)
    ldap_base_dn: str = "dc=local"
    ldap_starttls: bool = True
    imap_host: str = "127.0.0.1"
    imap_port: int = 143
    imap_admin: str = "cyrus"
    imap_tls: str = "starttls"
    sieve_port: int = 4190  # ManageSieve (RFC 5804): STARTTLS, or clear text with imap_tls none
    smtp_host: str = "127.0.0.1"  # the Postfix notifications are submitted to (mail_out)
    smtp_port: int = 25
    smtp_tls: str = "starttls"
    validate_certs: bool = True
    ca_file: Optional[str] = None
    domain: str = DEFAULT_DOMAIN
    mailbox_server: Optional[str] = None  # mailBoxServer; default lmtp:<imap host>:24 as OBM writes it
    home_base: str = "/home"
    default_folders: tuple[str, ...] = DEFAULT_FOLDERS
    batch_size: int = 500
    page_size: int = 1000
    timeout: float = 30

    @property
    def mailbox_server_value(self) -> str:
        return self.mailbox_server or f"lmtp:{self.imap_host}:24"

    def cyrus_admin(self, authorize: Optional[str] = None) -> CyrusAdmin:
        """The Cyrus administrator's connection these settings describe (opened on first use);
        with ``authorize``, one acting as that user (``CyrusAdmin``)."""
        return CyrusAdmin(
            self.imap_host,
            self.imap_port,
            self.imap_admin,
            self.imap_admin_password,
            tls=self.imap_tls,
            validate_certs=self.validate_certs,
            ca_file=self.ca_file,
            timeout=self.timeout,
            authorize=authorize,
        )


ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "ldap_uri": {"type": "str", "required": True},
    "ldap_bind_dn": {"type": "str", "default": "uid=ldapadmin,ou=sysusers,dc=local"},
    "ldap_bind_password": {"type": "str", "required": True, "no_log": True},
    "ldap_base_dn": {"type": "str", "default": "dc=local"},
    "ldap_starttls": {"type": "bool", "default": True},
    "imap_host": {"type": "str", "default": "127.0.0.1"},
    "imap_port": {"type": "int", "default": 143},
    "imap_admin": {"type": "str", "default": "cyrus"},
    "imap_admin_password": {"type": "str", "required": True, "no_log": True},
    "imap_tls": {"type": "str", "default": "starttls", "choices": list(TLS_MODES)},
    "sieve_port": {"type": "int", "default": 4190},
    "smtp_host": {"type": "str", "default": "127.0.0.1"},
    "smtp_port": {"type": "int", "default": 25},
    "smtp_tls": {"type": "str", "default": "starttls", "choices": list(SMTP_TLS_MODES)},
    "validate_certs": {"type": "bool", "default": True},
    "ca_file": {"type": "path"},
    "domain": {"type": "str", "default": DEFAULT_DOMAIN},
    "mailbox_server": {"type": "str"},
    "batch_size": {"type": "int", "default": 500},
    "page_size": {"type": "int", "default": 1000},
    "timeout": {"type": "int", "default": 30},
}


def config_from_params(params: Mapping[str, Any], **overrides: Any) -> ObmConfig:
    """An ``ObmConfig`` from a module's parameters (the keys of ``ARGUMENT_SPEC``) and ``overrides``."""
    values = {key: params[key] for key in ARGUMENT_SPEC if params.get(key) is not None}
    return ObmConfig(**{**values, **overrides})
