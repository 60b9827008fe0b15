#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: password_policy
short_description: Enforce the city's password rules every day - locks, warnings, resets, the R-47 list
version_added: 0.1.0
description:
  - Reads every person account's password facts from the mail system in one bulk call, decides per
    account what the regulation asks, and in O(mode=enforce) applies it in batches.
  - R-41 - an initial or reset password still unchanged after the 3 working days following the day
    it was issued (Vietnamese civil-service calendar, Tết and decreed swaps included), or a password
    unchanged for 6 months, gets the account locked; only an administrator's reset unlocks it.
  - R-44 - a password unchanged for 3 months gets a warning (never a lock).
  - R-47 - returns the list the centre sends to the Department (mailbox, agency, reason, since
    when) as O(ignore:report); the playbook C(playbooks/password_policy.yml) renders it to Markdown
    and CSV.
  - O(resets) issues a new generated password (R-42, R-45, free of the holder's name, R-43) to each
    person listed, set by the administrator so that it must be changed at the next login (R-40),
    and unlocks the account. The passwords go only into the ansible-vault encrypted credentials file
    written by the action plugin (as for M(danang.mail.mailbox)); one password per person, on every
    system of O(backend).
  - With O(backend=obm) - facts come from one paged LDAP search (C(pwdChangedTime), C(pwdReset),
    C(pwdAccountLockedTime), C(pwdLastSuccess)); a lock is C(pwdAccountLockedTime=000001010000Z), a
    reset replaces C(userPassword), sets C(pwdReset=TRUE) and removes the lock. While C(pwdReset) is
    TRUE, C(pwdChangedTime) is the time the password was issued.
  - With O(backend=exchange) - facts come from one paged AD search of O(ad_managed_ou) (persons with a
    user mailbox; C(pwdLastSet), C(userAccountControl), C(lastLogonTimestamp), and the issue time
    recorded in the mailbox's C(CustomAttribute1), since AD erases it when C(pwdLastSet) is 0). AD
    has no administrator lock - a lock disables the account and marks it in C(CustomAttribute2),
    which M(danang.mail.mailbox) respects. A reset is C(Set-Mailbox -Password
    -ResetPasswordOnNextLogon $true) over remote PowerShell (RBAC C(User Options) or C(Reset
    Password)), then the lock is lifted in AD. The repository's C(docs/passwords.md) has the details.
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.obm
  - danang.mail.exchange
  - danang.mail.obm.desired_state
  - danang.mail.credentials
  - danang.mail.credentials.calendar
options:
  backend:
    description:
      - The mail systems to check, each in one bulk read. A reset gives the person the same new
        password on every system listed that holds an account of theirs (R-45).
      - The OBM options O(ldap_uri), O(ldap_bind_password) and O(imap_admin_password) are required
        with V(obm); O(exchange_server) and O(ad_uri) with V(exchange).
    type: list
    elements: str
    choices: [obm, exchange]
    default: [obm]
  mode:
    description:
      - V(audit) reads, decides and reports; it changes nothing (resets are only planned).
      - V(enforce) also locks the accounts due for a lock and carries out O(resets).
    type: str
    choices: [audit, enforce]
    default: audit
  resets:
    description:
      - Persons to give a new password, by holder id (the ledger's C(id)) or address. They must be
        persons of the desired state holding an account on the system.
      - Needs O(credentials_file) and a vault secret, checked before anything changes.
    type: list
    elements: str
    default: []
  credentials_file:
    description:
      - The ansible-vault encrypted credentials file the action plugin writes the reset passwords
        to (the same format as M(danang.mail.mailbox)'s). Required with O(resets) in O(mode=enforce).
    type: path
  notices_path:
    description:
      - The YAML file the notices for M(danang.mail.notify) are appended to (one line each, mode 0600),
        with O(mode=enforce) outside check mode - each R-44 warning of a managed account (once per
        address and due date) and the R-47 list (once per distinct list). Its directory must exist.
      - Omitted, the notices are neither recorded nor returned.
    type: path
attributes:
  check_mode:
    support: full
    details: Decides and returns the findings and the diff; changes nothing.
  diff_mode:
    support: full
    details: Per address, C(locked) and C(must_change) before and after.
  idempotent:
    support: partial
    details: Locks are idempotent on a given day; each requested reset issues a new password on every run.
notes:
  - Run it daily, after M(danang.mail.mailbox), with C(playbooks/password_policy.yml) (cron or AWX at
    06:15 city time; the schedule is in the repository's C(docs/passwords.md)). A lock becomes due at
    midnight city time; a run in the morning locks before people log in.
  - Accounts not in the desired state are reported with O(ignore:report) but never changed, as
    M(danang.mail.mailbox) leaves them alone. Disabled accounts are skipped. Shared mailboxes have
    no password of their own.
  - The servers' own policies (OBM's ppolicy, AD's fine-grained policy of M(danang.mail.exchange_org);
    C(docs/passwords.md)) are backstops behind this module's lock at exactly 6 calendar months. They
    check passwords people choose for length (OpenLDAP) or 3 of 4 classes (AD) only; the full
    R-42/R-43 rules hold where this project sets a password.
  - On Exchange the AD account of O(ad_bind_user) writes C(userAccountControl) and
    C(extensionAttribute2) in O(ad_managed_ou).
  - An Exchange account locked here and then disabled for the desired state (a person leaving) loses
    the policy's mark; enabled again later, it holds its old password until the next daily run
    judges it again.
  - The return value C(_reset_credentials) is popped by the action plugin before anything is shown
    and written to the encrypted credentials file.
seealso:
  - module: danang.mail.mailbox
  - module: danang.mail.mailbox_info
"""

EXAMPLES = r"""
- name: The daily run - lock what is due, warn, list for the Department
  danang.mail.password_policy:
    mode: enforce
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
  register: policy

- name: Reset two people's passwords (unlocks them; they must change it at the next login)
  danang.mail.password_policy:
    mode: enforce
    resets: [CB-2017-000101, hattt@danang.gov.vn]
    credentials_file: "{{ danang_mail_credentials_dir }}/reset-{{ now(fmt='%Y%m%dT%H%M%S') }}.vault.yml"
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"

- name: Both systems in one run - the same rules, one new password per person on both
  danang.mail.password_policy:
    backend: [obm, exchange]
    mode: enforce
    resets: [CB-2017-000101]
    credentials_file: "{{ danang_mail_credentials_dir }}/reset-{{ now(fmt='%Y%m%dT%H%M%S') }}.vault.yml"
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    ldap_uri: ldaps://ldap.danang.gov.vn
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
    exchange_server: mail.danang.gov.vn
    exchange_username: svc-mail@danang.gov.vn
    exchange_password: "{{ vault_exchange_password }}"
    ad_uri: ldaps://dc1.danang.gov.vn
"""

RETURN = r"""
notices:
  description: The notices recorded in O(notices_path) by this run (or that would be) - new ones only.
  returned: when O(notices_path) is set
  type: list
  elements: dict
  sample:
    - {key: "password-warn:hattt@danang.gov.vn:2027-03-01", kind: password_warn,
       address: hattt@danang.gov.vn, due: "2027-03-01", recorded_on: "2027-03-02"}
accounts:
  description: One row per account and system that breaks a rule, is locked, or is reset.
  returned: success
  type: list
  elements: dict
  contains:
    address:
      description: The account's address.
      type: str
    system:
      description: V(obm) or V(exchange).
      type: str
    action:
      description:
        - V(lock) (due, locked by this run in O(mode=enforce)), V(locked) (already locked),
          V(warn) (R-44), V(reset), V(report) (due, not in the desired state, never changed).
      type: str
    reason:
      description:
        - V(initial_password_unchanged), V(unchanged_6_months) (R-41), V(unchanged_3_months)
          (R-44), V(no_change_time) (the system keeps none), or null (locked by hand).
      type: str
    reason_text:
      description: The reason in words.
      type: str
    due:
      description: The city day the rule became due (ISO date).
      type: str
    counted_from:
      description: The issue or change time the rule counts from (ISO 8601, UTC+7).
      type: str
    holder_id:
      description: The holder's id in the ledger (null when not in the desired state).
      type: str
    agency:
      description: The agency's abbreviation.
      type: str
    agency_name:
      description: The agency's name.
      type: str
    managed:
      description: Whether the account is in the desired state (only those are changed).
      type: bool
    must_change:
      description: The current password was issued by an administrator and not changed yet.
      type: bool
    locked:
      description: Locked (administrator-only unlock) when read.
      type: bool
    last_login:
      description: The last successful login (ISO 8601), when the system records it.
      type: str
    ok:
      description: Whether the lock or reset was carried out (O(mode=enforce), not check mode).
      type: bool
    error:
      description: Why it failed.
      type: str
  sample:
    - address: dungnv@danang.gov.vn
      system: obm
      action: lock
      reason: initial_password_unchanged
      due: "2025-05-08"
      counted_from: "2025-04-29T10:12:00+07:00"
      holder_id: CB-2017-000101
      agency: stttt
      managed: true
      ok: true
report:
  description:
    - The R-47 list after this run - accounts that kept an initial or reset password past its 3
      working days, or a password for 6 months, and are not being reset. Rows as in RV(accounts).
  returned: success
  type: list
  elements: dict
summary:
  description: Counts - V(checked) accounts and per action; V(reported) rows in RV(report).
  returned: success
  type: dict
  sample: {checked: 1840, lock: 3, locked: 12, warn: 140, reset: 1, report: 0, reported: 15, failed: 0}
now:
  description: The moment the rules were judged at (ISO 8601, UTC+7).
  returned: success
  type: str
resets:
  description: Holder ids whose password was reset by this run (never the passwords).
  returned: success
  type: list
  elements: str
_reset_credentials:
  description: Holder id to the new password, address and systems. Popped by the action plugin.
  returned: when passwords were reset
  type: dict
"""

import datetime
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.backends import systems
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.desired_state import (
    MissingLibrary,
    load_desired_state,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.module_utils.model import (
    CITY_TIMEZONE,
    SYSTEM_OBM,
    ValidationFailed,
)
from ansible_collections.danang.mail.plugins.module_utils.password_notices import record as record_notices
from ansible_collections.danang.mail.plugins.module_utils.password_policy import MODES
from ansible_collections.danang.mail.plugins.module_utils.password_resets import (
    carry_out,
    judge,
    module_result,
    new_passwords,
)
from ansible_collections.danang.mail.plugins.module_utils.personal_data import (
    ACTION_PLUGIN_SPEC,
    parse_personal_data,
)
from ansible_collections.danang.mail.plugins.module_utils.times import iso
from ansible_collections.danang.mail.plugins.module_utils.workdays import (
    HAS_HOLIDAYS,
    HOLIDAYS_IMPORT_ERROR,
    WorkingCalendar,
    load_overrides,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "backend": {
        "type": "list",
        "elements": "str",
        "choices": sorted(systems.SYSTEMS),
        "default": [SYSTEM_OBM],
    },
    "mode": {"type": "str", "choices": list(MODES), "default": "audit"},
    "resets": {"type": "list", "elements": "str", "default": []},
    "calendar_overrides": {"type": "path"},
    "desired_state": {"type": "path", "required": True},
    "ledger": {"type": "path", "required": True},
    "scope": {"type": "list", "elements": "str", "default": []},
    "notices_path": {"type": "path"},
    **ACTION_PLUGIN_SPEC,
    **systems.CONNECTION_SPEC,
}


def refuse(module: AnsibleModule, problems: list[Any]) -> None:
    texts = [str(p) for p in problems]
    module.fail_json(msg=f"{len(texts)} problem(s), nothing changed: {texts[0]}", problems=texts)


def run(module: AnsibleModule) -> None:
    params = module.params
    now = datetime.datetime.now(CITY_TIMEZONE)
    try:
        state = load_desired_state(params["desired_state"])
        ledger = load_ledger(params["ledger"])
        overrides = load_overrides(params["calendar_overrides"]) if params["calendar_overrides"] else None
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.import_traceback)
    except ValidationFailed as exc:
        refuse(module, exc.problems)
    personal, personal_problems = parse_personal_data(params["personal_data"], "personal_data")
    if personal_problems:
        refuse(module, personal_problems)
    calendar = WorkingCalendar(overrides)
    enforce = params["mode"] == "enforce"
    apply = enforce and not module.check_mode

    backends: dict[str, Any] = {}

    def read_facts(system: str) -> Any:
        backend = backends[system] = systems.open_system(params, system)
        return backend.read_password_facts()

    try:
        judged = judge(
            state,
            ledger.holders(),
            params["backend"],
            read_facts,
            now=now,
            calendar=calendar,
            scope=params["scope"],
            requests=params["resets"],
        )
        findings = judged.findings
        if judged.problems:
            refuse(module, judged.problems)
        passwords = new_passwords(findings, personal) if apply else {}
        outcome = carry_out(findings, backends, passwords) if apply else {}
    except BackendError as exc:
        module.fail_json(msg=f"cannot use the mail system, nothing more changed: {exc}")
    finally:
        for backend in backends.values():
            backend.close()

    for warning in calendar.warnings:
        module.warn(warning)
    result = module_result(
        findings, outcome, judged.checked, passwords, enforce=enforce, applied=apply, diff=module._diff
    )
    result["now"] = iso(now, CITY_TIMEZONE)
    if params["notices_path"]:
        try:
            result["notices"] = record_notices(params["notices_path"], result["accounts"], now.date(), apply)
        except ValidationFailed as exc:
            module.fail_json(msg=f"the notices were not recorded: {exc.problems[0]}", **result)
        result["changed"] = result["changed"] or (enforce and bool(result["notices"]))
    if params["resets"] and not enforce:
        module.warn("mode is audit: the resets were planned, not carried out")
    failed = result["summary"]["failed"]
    if failed:
        first = next(r for r in outcome.values() if not r.ok)
        module.fail_json(
            msg=f"{failed} lock(s) or reset(s) failed (the others were applied; a re-run "
            f"finishes the job), first: {first.address}: {first.error}",
            **result,
        )
    module.exit_json(**result)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    systems.fail_when_missing(module)
    if not HAS_HOLIDAYS:
        module.fail_json(msg=missing_required_lib("holidays"), exception=HOLIDAYS_IMPORT_ERROR)
    run(module)


if __name__ == "__main__":
    main()
