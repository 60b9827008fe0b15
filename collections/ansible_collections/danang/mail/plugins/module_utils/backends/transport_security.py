# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""When a password may cross a connection without TLS: only to this machine (a loopback address).

Every client of this collection that sends a password (IMAP ``LOGIN`` to Cyrus, LDAP simple binds to
OpenLDAP and AD, PowerShell remoting with Basic authentication) asks ``clear_text_allowed`` first
and refuses otherwise, whatever the options say: there is no switch to send a password in clear
over the network. Only IP literals and the name ``localhost`` (RFC 6761) count as loopback; any
other name is not resolved here, so a DNS or ``/etc/hosts`` entry cannot turn it into one.

``tls_context`` is the one TLS client context of the OBM clients (IMAP, ManageSieve, SMTP).
"""

from __future__ import annotations

import ipaddress
import ssl
from typing import Optional
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1`` (brackets allowed), False for anything else."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def uri_host(uri: str) -> str:
    """The host of an LDAP URI (``ldap://host:port``, ``ldaps://[::1]``) or of a bare ``host:port``."""
    parsed = urlsplit(uri if "://" in uri else f"ldap://{uri}")
    return parsed.hostname or ""


def clear_text_allowed(uri_or_host: str) -> bool:
    """May a password go to ``uri_or_host`` without TLS? Only over ``ldapi://`` or to a loopback address."""
    if uri_or_host.lower().startswith("ldapi://"):
        return True
    return is_loopback(uri_host(uri_or_host) if "://" in uri_or_host else uri_or_host)


def tls_context(ca_file: Optional[str], validate_certs: bool) -> ssl.SSLContext:
    """The system's (or ``ca_file``'s) trust; ``validate_certs`` false skips the name and chain
    checks, for a lab's self-signed certificate."""
    context = ssl.create_default_context(cafile=ca_file)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
