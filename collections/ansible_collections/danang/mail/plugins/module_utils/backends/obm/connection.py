# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OBM's directory session and its one kind of read: a paged search of ``dc=<domain>,<base>``."""

from __future__ import annotations

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import LdapSession, LdapTarget
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import (
    Entry,
    domain_dn,
    entry_from_response,
)


def directory_session(config: ObmConfig) -> LdapSession:
    """The connection to OBM's directory, bound on first use; failures raise ``BackendError`` (never
    with the password)."""
    target = LdapTarget(
        config.ldap_uri,
        config.ldap_bind_dn,
        config.ldap_bind_password,
        starttls=config.ldap_starttls,
        validate_certs=config.validate_certs,
        ca_file=config.ca_file,
        timeout=config.timeout,
    )
    return LdapSession(target, BackendError, "the OBM backend")


def search_domain(
    session: LdapSession, config: ObmConfig, search_filter: str, attributes: tuple[str, ...]
) -> list[Entry]:
    """The entries matching ``search_filter`` under ``dc=<domain>,<base>``: one paged search."""
    base = domain_dn(config.domain, config.ldap_base_dn)
    return [
        entry_from_response(item)
        for item in session.search(base, search_filter, attributes, config.page_size)
    ]
