# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OBM backend (R-02): OpenLDAP entries and Cyrus IMAP mailboxes, laid out as real OBM does.

- ``render`` — the managed attributes of an account (``obm_ldap``) plus two Cyrus facts the plan
  compares: ``quota_mb`` (R-30; Cyrus counts KB, MB x 1024) and ``cyrus_mailbox`` (``ready`` when
  the mailbox, its default folders and the ``anyone p`` ACL are there; see ``READY``).
- ``read`` — ONE paged LDAP search over ``dc=<domain>,<base>`` (users and mailShare) and, beside
  it on ONE IMAP connection, two LIST commands (every mailbox and folder) and, pipelined, one
  GETQUOTA and one GETACL per mailbox (``obm_read``, ``obm_cyrus``).
- ``apply`` — batches, each in OBM's order: LDAP entry → Cyrus mailbox with default folders →
  SETQUOTA (KB) → SETACL ``anyone p`` (``obm_apply``, where ``apply`` says what a failure leaves).

Connection options: ``obm_config``; the directory layout: ``obm_ldap``. This module keeps the names
the modules import (``__all__``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.base import Backend
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap_common import (
    HAS_LDAP3,
    LDAP3_IMPORT_ERROR,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_apply import (
    CYRUS_KEYS,
    ObmApply,
    folder_name,
    mailbox_name,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_config import (
    ARGUMENT_SPEC,
    DEFAULT_FOLDERS,
    ObmConfig,
    config_from_params,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_cyrus import CyrusAdmin
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_ldap import (
    FIRST_UID,
    HOLDER_ATTRIBUTE,
    DirectorySession,
    Entry,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_read import (
    INCOMPLETE,
    MISSING,
    READY,
    AccountFacts,
    addresses_in_use,
    index_entries,
    observe,
    read_cyrus,
    search_entries,
)
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_OBM
from ansible_collections.danang.mail.plugins.module_utils.plan import Attributes, Observed
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import nfc

# The names the modules, the tests and the benchmark import from here.
__all__ = [
    "ARGUMENT_SPEC",
    "CYRUS_KEYS",
    "DEFAULT_FOLDERS",
    "HAS_LDAP3",
    "INCOMPLETE",
    "LDAP3_IMPORT_ERROR",
    "MISSING",
    "READY",
    "AccountFacts",
    "ObmBackend",
    "ObmConfig",
    "config_from_params",
    "folder_name",
    "mailbox_name",
]


class ObmBackend(ObmApply, DirectorySession, Backend):
    system = SYSTEM_OBM

    def __init__(self, config: ObmConfig) -> None:
        super().__init__(config)
        self._cyrus = CyrusAdmin(
            config.imap_host,
            config.imap_port,
            config.imap_admin,
            config.imap_admin_password,
            tls=config.imap_tls,
            validate_certs=config.validate_certs,
            ca_file=config.ca_file,
            timeout=config.timeout,
        )
        self._entries: dict[str, Entry] = {}  # address -> entry, from the last read
        self._in_use: dict[str, str] = {}  # every address any entry answers to -> its DN
        self._next_uid = FIRST_UID
        self.facts: dict[str, AccountFacts] = {}
        self.password_set: set[str] = set()  # addresses whose entry now holds an initial password
        self._read_done = False

    # --- render (pure) ---------------------------------------------------------------------------
    def render(self, account: Account) -> Attributes:
        cfg = self.config
        name = nfc(account.display_name)
        common = {
            "mail": account.address,
            "mailBoxServer": cfg.mailbox_server_value,
            "obmDomain": account.domain,
            HOLDER_ATTRIBUTE: account.holder_id,  # whose account it is, checked by the plan
        }
        if account.shared:
            ldap_part = {
                "cn": account.local_part,
                "description": name,
                **common,
                # OBM: a mailshare's mailBox is "+<name>@<domain>" (Cyrus LMTP delivers "+name" to
                # the shared folder "<name>@<domain>", which needs the "anyone p" ACL).
                "mailBox": f"+{account.local_part}@{account.domain}",
            }
        else:
            ldap_part = {
                "cn": name,
                "displayName": name,
                "sn": nfc(account.last_name) if account.last_name else name,
                "givenName": nfc(account.first_name) if account.first_name else None,
                **common,
                "mailBox": f"{account.local_part}@{account.domain}",
                "hiddenUser": "FALSE",
                "homeDirectory": f"{cfg.home_base.rstrip('/')}/{account.local_part}",
            }
        return {**ldap_part, "quota_mb": account.quota_mb, "cyrus_mailbox": READY}

    # --- read ------------------------------------------------------------------------------------
    def read(self) -> dict[str, Observed]:
        """Every OBM account of the domain (users and mailshares), keyed by main address.

        The LDAP search and the Cyrus read run side by side (each mostly waits for its server).
        Raises ``BackendError`` (nothing changed) when LDAP or Cyrus cannot be used.
        """
        with ThreadPoolExecutor(max_workers=1) as pool:
            cyrus = pool.submit(read_cyrus, self._cyrus, self.config.domain)
            entries = search_entries(self._connect_ldap(), self.config)
            seen = cyrus.result()
        self._entries, self._in_use, self._next_uid = index_entries(entries)
        self._read_done = True
        observed, self.facts = observe(self._entries, seen, self.config)
        return observed

    def addresses_in_use(self) -> set[str]:
        """Every address the domain's directory answers to (any entry, managed or not): one search."""
        return addresses_in_use(self._connect_ldap(), self.config)

    def close(self) -> None:
        self._cyrus.close()
        self._close_ldap()
