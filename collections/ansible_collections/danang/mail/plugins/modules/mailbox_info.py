#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox_info
short_description: Facts about every mail account of the OBM or Exchange system, in bulk
version_added: 0.1.0
description:
  - Reads the OBM directory and Cyrus once (one paged LDAP search, one IMAP connection) and returns,
    per address, whether the account exists and is enabled, its quota and usage, and the password
    facts the regulation needs.
  - C(last_login) is C(pwdLastSuccess), stamped by slapd (C(olcLastBind)) on every successful bind,
    IMAP logins included (they bind through saslauthd) - the last-access signal of R-23.
  - C(last_access) is the later of C(last_login) and C(password_changed) (R-23).
  - C(created) is the entry's C(createTimestamp); C(reclaimed) is true for an account M(danang.mail.reclaim)
    reclaimed (C(mailAccess) V(RECLAIMED)).
  - C(password_changed) is C(pwdChangedTime); C(must_change_password) is C(pwdReset), set on new
    accounts until the first change (R-40, R-47); C(locked) is C(pwdAccountLockedTime) present (R-41).
  - With O(backend=exchange) - one C(Get-Mailbox) pipeline, one C(Get-MailboxStatistics -Database) per
    database (each piped to C(Select-Object) to keep only the properties read) and one paged AD search.
    C(last_login) is the mailbox's C(LastLogonTime) (also stamped by background assistants),
    C(last_logon_ad) AD's C(lastLogonTimestamp) (replicated, up to about 14 days late); C(last_access)
    is the later of C(last_login) and C(last_logon_ad) plus 14 days, so a mailbox in use never looks
    idle (R-23). C(created) is AD's C(whenCreated); C(reclaimed) the reclaim marker (R-23). Exchange
    sends C(LastLogonTime) in its server's local zone; both are returned in UTC (C(Z)) and compared
    as moments. C(must_change_password) is C(pwdLastSet) 0,
    C(password_issued) the initial password's issue time the backend recorded (R-41), C(locked) the AD
    account disabled by M(danang.mail.password_policy) (R-41; such an account counts as C(enabled), as
    on OBM).
  - Reads only; never changes anything.
notes:
  - Measured in the lab (slapd 2.5 ppolicy with C(olcLastBind)) - an LDAP bind with the initial
    password (C(pwdReset) TRUE) succeeds and stamps C(pwdLastSuccess) (IMAP refuses it with the
    obm_server role's defaults); the password change on the self-service page then removes
    C(pwdLastSuccess) and sets C(pwdChangedTime). C(last_access), the later of the two, is the R-23
    signal.
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.attributes.info_module
  - danang.mail.backend
  - danang.mail.obm
  - danang.mail.exchange
options:
  addresses:
    description: Only these addresses (all accounts of the domain when empty).
    type: list
    elements: str
    default: []
seealso:
  - module: danang.mail.mailbox
  - module: danang.mail.quota
"""

EXAMPLES = r"""
- name: Facts about every OBM account
  danang.mail.mailbox_info:
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_host: imap.danang.gov.vn
    imap_port: 143
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
  register: obm_facts

- name: Mailboxes that kept the initial password (R-47)
  ansible.builtin.debug:
    msg: >-
      {{ obm_facts.accounts | dict2items | selectattr('value.must_change_password')
         | map(attribute='key') }}
"""

RETURN = r"""
accounts:
  description:
    - Facts per address.
    - On OBM a shared mailbox also has C(access) - who may open it (R-71) - the identifiers with rights
      on its Cyrus ACL other than the administrator and C(anyone p), C(name (rights)) when not every
      right; an empty list means nobody opens it (no owner yet).
  returned: success
  type: dict
  sample:
    dungnv@danang.gov.vn:
      exists: true
      dn: uid=dungnv,ou=users,dc=danang.gov.vn,dc=local
      shared: false
      enabled: true
      mailbox: true
      quota_mb: 2048
      used_mb: 0.82
      uid_number: 1001
      last_login: "2026-11-29T04:59:13Z"
      last_access: "2026-11-29T04:59:13Z"
      password_changed: "2026-11-29T04:58:01Z"
      must_change_password: true
      locked: false
      created: "2026-11-29T04:55:40Z"
      reclaimed: false
summary:
  description: Counts over the accounts returned.
  returned: success
  type: dict
  sample: {accounts: 77, enabled: 74, disabled: 3, without_mailbox: 0, must_change_password: 70, locked: 0}
missing:
  description: Addresses asked for in O(addresses) that do not exist.
  returned: success
  type: list
  elements: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.systems import (
    ARGUMENT_SPEC as BACKEND_ARGUMENT_SPEC,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.systems import (
    REQUIRED_IF,
    missing_library,
    open_system,
    read_facts,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "addresses": {"type": "list", "elements": "str", "default": []},
    **BACKEND_ARGUMENT_SPEC,
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_if=REQUIRED_IF)
    missing_lib = missing_library(module.params["backend"])
    if missing_lib:
        module.fail_json(msg=missing_required_lib(missing_lib[0]), exception=missing_lib[1])
    try:
        with open_system(module.params, statistics=True) as backend:
            facts = read_facts(backend)
    except BackendError as exc:
        module.fail_json(msg=str(exc))
    wanted = [a.lower() for a in module.params["addresses"]]
    selected = {a: facts[a] for a in (wanted or sorted(facts)) if a in facts}
    accounts = {a: {"exists": True, **f} for a, f in selected.items()}
    summary = {
        "accounts": len(selected),
        "enabled": sum(1 for f in selected.values() if f["enabled"]),
        "disabled": sum(1 for f in selected.values() if not f["enabled"]),
        "without_mailbox": sum(1 for f in selected.values() if not f["mailbox"]),
        "must_change_password": sum(1 for f in selected.values() if f["must_change_password"]),
        "locked": sum(1 for f in selected.values() if f["locked"]),
    }
    missing = [a for a in wanted if a not in facts]
    module.exit_json(changed=False, accounts=accounts, summary=summary, missing=missing)


if __name__ == "__main__":
    main()
