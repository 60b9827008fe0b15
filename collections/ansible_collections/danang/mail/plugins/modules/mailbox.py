#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox
short_description: Reconcile the city's mail accounts into one mail system, in bulk
version_added: 0.1.0
description:
  - Makes one mail system hold exactly the accounts the desired state asks for (R-02) - personal
    mailboxes (R-12), agency and department mailboxes (R-10, R-11, shared mailboxes).
  - One call handles the whole city. It loads and validates the desired state, reads the ledger
    (never writes it), reads the system once in bulk, plans (create, update, enable, disable,
    remove, per address) and applies the plan in batches.
  - With O(backend=obm), a person is an OpenLDAP entry C(uid=<login>,ou=users,dc=<domain>,dc=local)
    (C(posixAccount shadowAccount inetOrgPerson obmUser)) and a Cyrus mailbox C(user/<login>@<domain>)
    with OBM's default folders C(Trash Drafts SPAM Templates Sent); an agency or department is an
    C(obmMailShare) entry under C(ou=mailShare) and the shared Cyrus mailbox C(<name>@<domain>). Every
    mailbox gets the quota of R-30 (2 GB, set in KB) and the ACL C(anyone p) (post), in OBM's order.
  - Shared mailboxes are opened by the persons the desired state names (C(owner) and C(delegate) of an
    agency or department, R-71; the C(technical_team) of C(city.yml) for the reserved C(chanthurac@),
    R-51), each as themselves - never with the mailbox's password (R-46). On OBM they get every right in
    the Cyrus ACL (C(lrswipkxtecdan)) and C(anyone) keeps only C(p). The plan compares C(access), the
    addresses holding every right, with the ACL read back; a right given by hand to anyone else shows
    as an update (C(name (rights)) when not every right) and is removed.
  - Disabling sets C(mailAccess) to V(REJECT) - the mailbox and its mail are kept (R-23). An account is
    removed only when the desired state says V(removed), the account is already disabled, and
    O(purge) is on.
  - A person whose ledger line says V(reclaimed) with a C(reclaimed_on) on or after the person's
    C(requested_on) (R-23, see M(danang.mail.reclaim)) is never created, enabled or updated; an enabled
    account of theirs is disabled. A new request (C(requested_on) after C(reclaimed_on), R-20) makes the
    person's state apply again.
  - A new person gets an initial password (R-42, R-45; one per person, the same on every system with
    O(known_passwords)) that must be changed at first use (R-40, C(pwdReset)). Passwords never appear
    in the diff, the results or the logs.
  - With O(backend=exchange), a person is a user mailbox made by C(New-Mailbox) in O(ad_managed_ou) -
    C(Name) C(<display name> (<local part>)) (at most 64 characters, unique), the address as
    C(UserPrincipalName) and C(PrimarySmtpAddress), the local part as C(Alias), a sAMAccountName derived
    from it (at most 20 characters), names in full Vietnamese, C(-ResetPasswordOnNextLogon $true)
    (R-40); an agency or department is a shared mailbox (C(New-Mailbox -Shared)). Every mailbox gets
    C(UseDatabaseQuotaDefaults $false) with the quota of R-30 (warning at 90 %) and 28 MB message
    limits (R-31). Disabling sets C(ACCOUNTDISABLE) on the AD account; the mailbox stays (R-23);
    O(purge) runs C(Remove-Mailbox). The time each initial password was issued is kept in the
    mailbox's C(CustomAttribute1) (AD C(extensionAttribute1)) for the 3-working-day rule (R-41).
  - A failure of one account does not stop the others; the module fails at the end listing them. A
    failed account is left untouched, or in a state the next run finishes; nothing is created twice.
  - Every account made gets its holder's id (the ledger's C(id)) - OBM C(employeeNumber), Exchange
    C(CustomAttribute3) (AD C(extensionAttribute3)). An account at a desired address whose stored
    holder differs, or that has none, is a conflict (C(conflicts)) and is never changed, unless it
    has none, was created on or after the ledger's C(issued_on) for that address (city date) and the
    address is not in O(allocated) - an account this project made before it stored holder ids,
    which then gets the id. The module fails naming each conflict; the other accounts proceed.
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.backend
  - danang.mail.obm
  - danang.mail.exchange
  - danang.mail.obm.desired_state
  - danang.mail.credentials
options:
  purge:
    description:
      - Delete the accounts of people the desired state marks V(removed) once they are disabled (the
        directory entry and the mailbox; Cyrus keeps deleted mailboxes until C(cyr_expire) when
        C(delete_mode) is C(delayed)). Off, they stay disabled with their mail.
    type: bool
    default: false
  known_passwords:
    description:
      - Initial passwords already issued to people, by holder id (the ledger's C(id)). Filled by the
        action plugin from the run's credentials file, so one person gets one password on every
        system (R-45). A new person missing here gets a new random one.
    type: dict
    default: {}
  addresses:
    description:
      - Provisional addresses by holder id, added to the ledger's for planning - the C(addresses) that
        M(danang.mail.address_alloc) returns in check mode, where the ledger is not written. The
        ledger wins for a holder it knows.
      - Check mode only - outside it every address must come from the ledger, so that no address is
        ever used before it is recorded (R-13, R-03).
    type: dict
    default: {}
  require_known_passwords:
    description:
      - Create a person only with a password given in O(known_passwords). The action plugin sets it after
        recording every planned password, encrypted, in the credentials directory's C(pending.vault.yml)
        before anything is changed; a person it did not record fails, untouched.
    type: bool
    default: false
  allocated:
    description:
      - The addresses allocated in this run (C(allocated[].address) of M(danang.mail.address_alloc)).
        An account found at one of them is never adopted, whatever its dates. In check mode the
        provisional O(addresses) the ledger does not hold count as allocated too.
    type: list
    elements: str
    default: []
  requested_through:
    description:
      - The last request day whose addresses are final, C(YYYY-MM-DD) (the daily cut-off, as given to
        M(danang.mail.address_alloc)). A person with no address in the ledger requested after it is
        pending - not created and not a problem, listed in RV(pending). In check mode a provisional
        address in O(addresses) plans the person as usual. Omitted, a person without an address is
        a problem (allocate first).
    type: str
  credentials_file:
    description:
      - The run's ansible-vault encrypted credentials file, where the action plugin records the initial
        passwords of the persons created (and reads those already issued into O(known_passwords)).
        Handled by the action plugin; required when the run creates persons.
      - Planned passwords are first recorded in C(pending.vault.yml) beside it, so that a run killed
        part-way loses none - the next run reuses them, finds the accounts created but never handed
        over and records them in its own credentials file.
    type: path
attributes:
  check_mode:
    support: full
    details: Returns the plan and the diff and changes nothing.
  diff_mode:
    support: full
    details: The managed attributes before and after, per address.
  idempotent:
    support: full
notes:
  - Runs on the control node (a play on C(localhost)); it talks to the servers over the network.
  - "What C(pwdReset) does (measured in the lab, see the obm_server role README): the LDAP bind with
    the initial password succeeds but the session may only change its password, which the role's
    ACL leaves to the self-service page; IMAP and ManageSieve refuse the initial password (the
    role's C(obm_server_imap_block_pwdreset), on by default). The page's change clears the flag and
    removes C(pwdLastSuccess) (see M(danang.mail.mailbox_info), C(last_access))."
  - The return value C(_initial_credentials) holds the passwords given to new people in this run. It
    is removed by the action plugin before anything is displayed and written to the run's
    ansible-vault encrypted credentials file.
seealso:
  - module: danang.mail.address_alloc
  - module: danang.mail.mailbox_info
  - module: danang.mail.quota
"""

EXAMPLES = r"""
- name: Reconcile the whole city into OBM
  danang.mail.mailbox:
    backend: obm
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_host: imap.danang.gov.vn
    imap_port: 143
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
    mailbox_server: lmtp:imap.danang.gov.vn:24
    credentials_file: "{{ inventory_dir }}/credentials/{{ lookup('pipe', 'date +%Y%m%dT%H%M') }}.vault.yml"
  register: obm

- name: Reconcile the same city into Exchange and its AD (one initial password per person, R-45)
  danang.mail.mailbox:
    backend: exchange
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    exchange_server: mail.danang.gov.vn
    exchange_username: svc-mail@danang.gov.vn
    exchange_password: "{{ vault_exchange_password }}"
    exchange_databases: [DB01, DB02]
    ad_uri: ldaps://dc1.danang.gov.vn
    credentials_file: "{{ inventory_dir }}/credentials/{{ lookup('pipe', 'date +%Y%m%dT%H%M') }}.vault.yml"

- name: What would change for two agencies (nothing is changed)
  danang.mail.mailbox:
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    scope: [stttt, stc]
    ldap_uri: ldaps://ldap.thudientu.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_host: imap.thudientu.danang.gov.vn
    imap_port: 993
    imap_tls: imaps
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
  check_mode: true
  diff: true

- name: Delete the accounts of people removed from the desired state (already disabled)
  danang.mail.mailbox:
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    purge: true
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"

# A play gives the connection once to every module of the collection's action groups
# (meta/runtime.yml); the options of the other backend are present and unused.
- name: Reconcile both systems with the inventory's connection settings
  hosts: localhost
  module_defaults:
    group/danang.mail.obm: "{{ danang_mail_obm_connection }}"
    group/danang.mail.exchange: "{{ danang_mail_exchange_connection }}"
  tasks:
    - name: Reconcile OBM
      danang.mail.mailbox:
        backend: obm
        desired_state: "{{ danang_mail_desired_state }}"
        ledger: "{{ danang_mail_ledger }}"
    - name: Reconcile Exchange
      danang.mail.mailbox:
        backend: exchange
        desired_state: "{{ danang_mail_desired_state }}"
        ledger: "{{ danang_mail_ledger }}"
"""

RETURN = r"""
plan:
  description: Every change planned (and, outside check mode, attempted), in address order.
  returned: success
  type: list
  elements: dict
  contains:
    address:
      description: The account's address.
      type: str
      sample: dungnv@danang.gov.vn
    action:
      description: V(create), V(update), V(enable), V(disable) or V(remove).
      type: str
      sample: create
    kind:
      description: V(person), V(agency) or V(department).
      type: str
      sample: person
    holder_id:
      description: The holder's id in the ledger.
      type: str
      sample: CB-2017-000101
    before:
      description: The differing managed attributes as they are (never a password).
      type: dict
    after:
      description: The differing managed attributes as they will be (never a password).
      type: dict
results:
  description: What happened to each change (not in check mode).
  returned: when not in check mode
  type: list
  elements: dict
  contains:
    address:
      description: The account's address.
      type: str
    action:
      description: The change attempted.
      type: str
    kind:
      description: V(person), V(agency) or V(department).
      type: str
    holder_id:
      description: The holder's id in the ledger.
      type: str
    ok:
      description: Whether it was carried out completely.
      type: bool
    error:
      description: Why it failed, and what was left (untouched, or finished by the next run).
      type: str
  sample:
    - address: dungnv@danang.gov.vn
      action: create
      kind: person
      holder_id: CB-2017-000101
      ok: true
      error: null
conflicts:
  description:
    - Accounts at a desired address that are not provably the holder's (see the description); nothing
      was changed on them and the module fails.
  returned: when there are some
  type: list
  elements: dict
  contains:
    address:
      description: The account's address.
      type: str
    holder_id:
      description: The holder the desired state and the ledger give the address to.
      type: str
    stored_holder:
      description: The holder id stored on the account, null when it has none.
      type: str
    reason:
      description: Why it is not adopted.
      type: str
  sample:
    - address: dungnv@danang.gov.vn
      holder_id: CB-2017-000101
      stored_holder: null
      reason: it has no stored holder and its address was allocated in this run
summary:
  description:
    - Counts per action planned, plus V(unchanged), V(unmanaged) (on the system, not in the desired
      state, never touched), V(conflict), and outside check mode V(ok) and V(failed).
  returned: always
  type: dict
  sample:
    {create: 77, update: 0, enable: 0, disable: 0, remove: 0, unchanged: 0, unmanaged: 3, conflict: 0,
     ok: 77, failed: 0}
pending:
  description:
    - Persons on this system requested after O(requested_through) with no address yet - left for a
      later cut-off (R-14), never created now.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The person's id.
      type: str
      sample: CB-2026-000301
    agency:
      description: The person's agency.
      type: str
      sample: stttt
    requested_on:
      description: The day the person was requested.
      type: str
      sample: "2026-12-07"
failed_accounts:
  description: Addresses whose change failed.
  returned: when some failed
  type: list
  elements: str
problems:
  description: Problems in the desired state or the ledger (the module fails and changes nothing).
  returned: failure
  type: list
  elements: str
_initial_credentials:
  description:
    - Holder id to the initial password of each person created in this run (in check mode, of each
      person the plan creates). Popped by the action plugin before display; never shown by a normal run.
  returned: when accounts were created or planned
  type: dict
_handover:
  description:
    - Holder id to C(address) and C(systems) (the person's systems in the desired state) of each person
      whose account on this system holds a password from O(known_passwords) or created in this run.
      Popped by the action plugin, which records these holders in the credentials file.
  returned: when not in check mode
  type: dict
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.accounts import desired_accounts, pending_people
from ansible_collections.danang.mail.plugins.module_utils.backends.apply import reset_returning
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.systems import (
    ARGUMENT_SPEC as BACKEND_ARGUMENT_SPEC,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.systems import (
    REQUIRED_IF,
    missing_library,
    open_system,
)
from ansible_collections.danang.mail.plugins.module_utils.desired_state import (
    MissingLibrary,
    load_desired_state,
)
from ansible_collections.danang.mail.plugins.module_utils.initial_passwords import (
    handover,
    initial_passwords,
    person_systems,
    withhold_unrecorded,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.personal_data import (
    ACTION_PLUGIN_SPEC,
    parse_personal_data,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import Plan, make_plan
from ansible_collections.danang.mail.plugins.module_utils.reconcile_result import (
    conflict_rows,
    failure_message,
    held_passwords,
    plan_rows,
    plan_summary,
    result_rows,
)
from ansible_collections.danang.mail.plugins.module_utils.request_records import through_date

ARGUMENT_SPEC: dict[str, Any] = {
    "desired_state": {"type": "path", "required": True},
    "ledger": {"type": "path", "required": True},
    "scope": {"type": "list", "elements": "str", "default": []},
    "purge": {"type": "bool", "default": False},
    "known_passwords": {"type": "dict", "default": {}, "no_log": True},
    "require_known_passwords": {"type": "bool", "default": False},
    "addresses": {"type": "dict", "default": {}},
    "allocated": {"type": "list", "elements": "str", "default": []},
    "requested_through": {"type": "str"},
    **ACTION_PLUGIN_SPEC,
    **BACKEND_ARGUMENT_SPEC,
}


def run(module: AnsibleModule) -> None:
    params = module.params
    try:
        state = load_desired_state(params["desired_state"])
        ledger = load_ledger(params["ledger"])
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.import_traceback)
    except ValidationFailed as exc:
        problems = [str(p) for p in exc.problems]
        module.fail_json(msg=f"{len(problems)} problem(s), nothing changed: {problems[0]}", problems=problems)
    if params["addresses"] and not module.check_mode:
        module.fail_json(
            msg="addresses (provisional) are for check mode only: allocate first, then reconcile"
        )
    try:
        through = through_date(params["requested_through"])
    except ValidationFailed as exc:
        module.fail_json(msg=f"nothing changed: {exc.problems[0]}")
    personal, personal_problems = parse_personal_data(params["personal_data"], "personal_data")
    holders = {**params["addresses"], **ledger.holders()}
    in_ledger = set(ledger.holders().values())
    # Never adopted: addresses this run allocated, and in check mode the provisional ones.
    allocated = {a.lower() for a in params["allocated"]} | {
        a for a in params["addresses"].values() if a not in in_ledger
    }
    desired, problems = desired_accounts(
        state,
        holders,
        system=params["backend"],
        agencies=params["scope"] or None,
        reclaimed=ledger.reclaimed(),  # git stays the truth, a reclaim is never undone
        requested_through=through,
    )
    pending = [
        {"id": p.id, "agency": p.agency, "requested_on": p.requested_on.isoformat()}
        for p in pending_people(
            state, holders, through, system=params["backend"], agencies=params["scope"] or None
        )
    ]
    problems = personal_problems + problems
    if problems:
        texts = [str(p) for p in problems]
        module.fail_json(msg=f"{len(texts)} problem(s), nothing changed: {texts[0]}", problems=texts)
    known = {str(h): str(p) for h, p in (params["known_passwords"] or {}).items()}

    try:
        backend = open_system(params)
    except BackendError as exc:
        module.fail_json(msg=f"cannot use the {params['backend']} system, nothing changed: {exc}")
    with backend:
        try:
            observed = backend.read()
        except BackendError as exc:
            module.fail_json(msg=f"cannot read the {params['backend']} system, nothing changed: {exc}")
        plan = make_plan(
            desired,
            observed,
            backend.render,
            purge=params["purge"],
            issued_on={entry.address: entry.issued_on for entry in ledger.entries},
            allocated=allocated,
        )
        summary = plan_summary(plan)
        result: dict[str, Any] = {
            "changed": bool(plan.changes),
            "plan": plan_rows(plan),
            "summary": summary,
            "pending": pending,
        }
        if plan.conflicts:
            result["conflicts"] = conflict_rows(plan)
        if module._diff:
            result["diff"] = plan.diff()
        # Deliberately NOT registered with no_log_values: the action plugin pops this key before
        # anything is displayed or logged and records it encrypted (in check mode: before the real run).
        # a reclaimed account enabled again by a new request gets a new initial password.
        returning = {a for a, f in backend.facts.items() if f.reclaimed}
        passwords = initial_passwords(plan.changes, known, personal, returning)
        if module.check_mode:
            result["_initial_credentials"] = passwords
            finish(module, result, plan, [])
        changes, refused = list(plan.changes), []
        if params["require_known_passwords"]:
            changes, refused = withhold_unrecorded(changes, known, returning)
        results = backend.apply(changes, passwords) if changes else []
        issued = backend.password_set | reset_returning(backend, changes, results, passwords, returning)
    result["_initial_credentials"] = held_passwords(plan.changes, passwords, issued)
    result["_handover"] = handover(
        holders, observed, known, result["_initial_credentials"], person_systems(state)
    )
    if not plan.changes:
        finish(module, result, plan, [])
    results = sorted(results + refused, key=lambda r: r.address)
    result["results"] = result_rows(plan.changes, results)
    failed = [r.address for r in results if not r.ok]
    summary["ok"], summary["failed"] = len(results) - len(failed), len(failed)
    result["changed"] = any(r.ok for r in results) or bool(issued)
    finish(module, result, plan, results)


def finish(module: AnsibleModule, result: dict[str, Any], plan: Plan, results: list[Any]) -> None:
    """Exit, or fail naming the failed changes and the conflicts (the other accounts were done)."""
    failed = [r.address for r in results if not r.ok]
    if failed:
        result["failed_accounts"] = failed
    message = failure_message(plan, results, check_mode=module.check_mode)
    if message:
        module.fail_json(msg=message, **result)
    module.exit_json(**result)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True, required_if=REQUIRED_IF)
    missing = missing_library(module.params["backend"])
    if missing:
        module.fail_json(msg=missing_required_lib(missing[0]), exception=missing[1])
    run(module)


if __name__ == "__main__":
    main()
