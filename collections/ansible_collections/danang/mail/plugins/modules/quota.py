#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: quota
short_description: Set and report the mailbox quota of OBM or Exchange accounts (R-30)
version_added: 0.1.0
description:
  - Sets the Cyrus quota (resource C(STORAGE), in KB = MB x 1024) of a list of accounts, or of a
    whole class of accounts, to O(quota_mb) (R-30, 2 GB by default), and reports each one's usage.
  - Reads everything in one pass (one paged LDAP search, one IMAP connection) and sets the quotas
    that differ, pipelined on that connection. Idempotent.
  - Cyrus warns users near their limit with C(quotawarn) in C(imapd.conf), a percentage that is
    server-wide (the danang.mail.obm_server role sets it, V(90)). A per-mailbox warning threshold
    does not exist in Cyrus, so O(warning_percent) only selects the accounts reported in
    RV(over_warning); keep it equal to the server's C(quotawarn).
  - With O(backend=exchange), C(Set-Mailbox) with C(UseDatabaseQuotaDefaults $false),
    C(ProhibitSendReceiveQuota) and C(ProhibitSendQuota) at O(quota_mb) and C(IssueWarningQuota) at
    90 % (the mailbox's own warning), batched in pipelines; a mailbox still on its database's defaults
    counts as not set.
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.backend
  - danang.mail.obm
  - danang.mail.exchange
options:
  addresses:
    description: The accounts to set. Mutually exclusive with O(account_class).
    type: list
    elements: str
  account_class:
    description:
      - Every account of a class - V(persons) (personal mailboxes), V(shared) (agency and department
        mailboxes) or V(all). Mutually exclusive with O(addresses).
    type: str
    choices: [persons, shared, all]
  quota_mb:
    description:
      - The quota in MB (R-30, 2 GB).
      - On Exchange at most 2097151 (Set-Mailbox takes quotas up to 2199023254528 bytes); a larger
        value fails the module before anything is sent.
    type: int
    default: 2048
  warning_percent:
    description: Report accounts using at least this share of their quota (see the description).
    type: int
    default: 90
attributes:
  check_mode:
    support: full
    details: Reports what would be set and changes nothing.
  diff_mode:
    support: full
    details: The quota in MB before and after, per address.
  idempotent:
    support: full
seealso:
  - module: danang.mail.mailbox
  - module: danang.mail.mailbox_info
"""

EXAMPLES = r"""
- name: Every personal mailbox at 2 GB (R-30)
  danang.mail.quota:
    account_class: persons
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_host: imap.danang.gov.vn
    imap_port: 143
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"

- name: A larger quota for one agency mailbox
  danang.mail.quota:
    addresses: [stttt@danang.gov.vn]
    quota_mb: 4096
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
"""

RETURN = r"""
accounts:
  description: Per address the quota (after the change) and the usage, in MB.
  returned: success
  type: list
  elements: dict
  sample: [{address: dungnv@danang.gov.vn, quota_mb: 2048, used_mb: 0.8, used_percent: 0.04, changed: false}]
over_warning:
  description: Addresses using at least O(warning_percent) of their quota.
  returned: success
  type: list
  elements: str
failed_accounts:
  description: Addresses whose quota could not be set (no mailbox, refused).
  returned: when some failed
  type: list
  elements: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import limits
from ansible_collections.danang.mail.plugins.module_utils.backends.systems import (
    ARGUMENT_SPEC as BACKEND_ARGUMENT_SPEC,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.systems import (
    REQUIRED_IF,
    missing_library,
    open_system,
    read_facts,
)
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_EXCHANGE
from ansible_collections.danang.mail.plugins.module_utils.quotas import (
    ACCOUNT_CLASSES,
    predicted_failures,
    quota_report,
    quota_targets,
    quotas_to_set,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "addresses": {"type": "list", "elements": "str"},
    "account_class": {"type": "str", "choices": list(ACCOUNT_CLASSES)},
    "quota_mb": {"type": "int", "default": 2048},
    "warning_percent": {"type": "int", "default": 90},
    **BACKEND_ARGUMENT_SPEC,
}


def main() -> None:
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("addresses", "account_class")],
        required_one_of=[("addresses", "account_class")],
        required_if=REQUIRED_IF,
    )
    missing_lib = missing_library(module.params["backend"])
    if missing_lib:
        module.fail_json(msg=missing_required_lib(missing_lib[0]), exception=missing_lib[1])
    params = module.params
    if params["quota_mb"] <= 0:
        module.fail_json(msg="quota_mb must be a positive number of MB")
    refused = (
        limits.problems({"quota_mb": params["quota_mb"]}) if params["backend"] == SYSTEM_EXCHANGE else []
    )
    if refused:
        module.fail_json(msg="; ".join(refused))
    try:
        backend = open_system(params, statistics=True)
    except BackendError as exc:
        module.fail_json(msg=str(exc))
    with backend:
        try:
            facts = read_facts(backend)
        except BackendError as exc:
            module.fail_json(msg=str(exc))
        targets = quota_targets(facts, params["addresses"], params["account_class"])
        to_set = quotas_to_set(facts, targets, params["quota_mb"])
        results = []
        if to_set and not module.check_mode:
            results = backend.set_quotas(to_set)
    if module.check_mode:
        failed = predicted_failures(facts, to_set)
    else:
        failed = {r.address: r.error for r in results if not r.ok}
    result = quota_report(facts, targets, to_set, failed, params["warning_percent"])
    if not module._diff:
        del result["diff"]
    if failed:
        result["failed_accounts"] = sorted(failed)
        first = sorted(failed)[0]
        module.fail_json(msg=f"{len(failed)} quota(s) not set, first: {first}: {failed[first]}", **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
