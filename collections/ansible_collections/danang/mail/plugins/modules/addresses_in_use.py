#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: addresses_in_use
short_description: Every mail address in use on the OBM or Exchange system, in one bulk read
version_added: 0.1.0
description:
  - Returns every address the system answers to, whoever made it - accounts, aliases and secondary
    addresses, shared mailboxes, groups, contacts, managed by this collection or not - so that
    M(danang.mail.address_alloc) (its O(danang.mail.address_alloc#module:taken) option) never issues
    one of them to a new holder.
  - With O(backend=obm), one paged LDAP search of C(dc=<domain>,<base>) for every entry with a
    C(mail), C(mailAlias) or C(mailBox) (a mailshare's C(+name@domain) counts as C(name@domain)).
  - With O(backend=exchange), one paged LDAP search of the whole AD domain (O(ad_base_dn)) for every
    object with C(proxyAddresses) or C(mail); the C(smtp:) proxy addresses (primary and secondary)
    and C(mail) are returned.
  - Reads only; never changes anything.
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.attributes.info_module
  - danang.mail.backend
  - danang.mail.obm
  - danang.mail.exchange
seealso:
  - module: danang.mail.address_alloc
  - module: danang.mail.mailbox
"""

EXAMPLES = r"""
- name: Addresses in use on OBM
  danang.mail.addresses_in_use:
    backend: obm
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_host: imap.danang.gov.vn
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
  register: obm_in_use

- name: Allocate, never issuing an address in use
  danang.mail.address_alloc:
    ledger: "{{ danang_mail_ledger }}"
    requests: "{{ requests }}"
    taken: "{{ obm_in_use.addresses }}"
"""

RETURN = r"""
addresses:
  description: Every address in use on the system, in lower case, sorted.
  returned: success
  type: list
  elements: str
  sample: [cntt@danang.gov.vn, dungnv@danang.gov.vn, postmaster@danang.gov.vn]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.systems import (
    ARGUMENT_SPEC,
    REQUIRED_IF,
    missing_library,
    open_system,
)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_if=REQUIRED_IF)
    missing_lib = missing_library(module.params["backend"])
    if missing_lib:
        module.fail_json(msg=missing_required_lib(missing_lib[0]), exception=missing_lib[1])
    try:
        with open_system(module.params) as backend:
            found: Any = backend.addresses_in_use()
    except BackendError as exc:
        module.fail_json(msg=f"cannot read the addresses in use on {module.params['backend']}: {exc}")
    module.exit_json(changed=False, addresses=sorted(found))


if __name__ == "__main__":
    main()
