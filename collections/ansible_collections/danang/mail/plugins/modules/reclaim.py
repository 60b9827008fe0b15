#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: reclaim
short_description: Reclaim idle personal mailboxes (R-23) - warn, reclaim, purge after the grace period
version_added: 0.2.0
description:
  - Applies the regulation's rule that a mailbox not accessed for 3 months since it was created or
    last accessed is reclaimed (R-23); its address stays with its holder for ever (R-03) and comes
    back on a new request (R-20).
  - Reads each system of O(backend) once in bulk and decides per person. Per system where the person
    has an account, the account's C(since) is the later of its creation and its last access (the
    system's own records, as M(danang.mail.mailbox_info) reports them), as a date in Da Nang; its due
    date is C(since) plus O(idle_months) calendar months (a day the month lacks - its last day). A
    person on both systems is idle only if idle on both - the later due date counts.
  - From O(warn_days) before the due date a C(warn) notice is recorded for the holder and the
    agency's mailbox; on or after it the mailbox is reclaimed; O(grace_days) after the reclaim it is
    purged.
  - Reclaiming refuses every login, refuses new mail with a permanent bounce carrying O(bounce),
    hides the account from address lists and keeps the account and its content. The ledger line of
    the holder becomes C(status=reclaimed) with C(reclaimed_on), so M(danang.mail.mailbox) never
    enables it again - until a new request (C(requested_on) after C(reclaimed_on)).
  - Purging first writes the whole mailbox to O(export_dir) when it is set (nothing is deleted if
    that fails), then removes the mailbox, its storage and the account. The ledger keeps the address.
  - Only personal mailboxes of persons in state C(active) (or reclaimed) are judged; agency and
    department mailboxes are never reclaimed, and disabled or removed persons are left to
    M(danang.mail.mailbox).
  - A system that cannot say when an account was created gives no due date - the person is never
    reclaimed and the row says why.
  - With O(backend=obm) - the marker is C(mailAccess=RECLAIMED) (saslauthd admits only C(PERMIT)),
    C(hiddenUser=TRUE) and the bounce text in C(description), which the C(danang.mail.obm_server)
    role's Postfix answers as C(550 5.2.1 <text>). The export is one mbox file
    C(<export_dir>/<address>.mbox), read over IMAP, each message tagged with C(X-Mail-Folder).
  - With O(backend=exchange) - an export is Exchange's own C(New-MailboxExportRequest) to
    C(<exchange_export_share>\\<address>.pst) on that UNC share, not to O(export_dir); it runs in the
    background, so the mailbox is purged by a later run once the export is C(Completed) (meanwhile the
    row's C(waiting) says so and the run does not fail).
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.obm
  - danang.mail.exchange
  - danang.mail.obm.desired_state
options:
  backend:
    description:
      - The mail systems to judge, each read once in bulk. A person is idle only if idle on every
        system listed that holds an account of theirs.
      - The OBM options O(ldap_uri), O(ldap_bind_password) and O(imap_admin_password) are required
        with V(obm); O(exchange_server) and O(ad_uri) with V(exchange).
    type: list
    elements: str
    choices: [obm, exchange]
    default: [obm]
    aliases: [systems]
  mode:
    description:
      - V(audit) reads, decides and reports; it changes nothing, not even the ledger or O(notices_path).
      - V(enforce) also reclaims, purges, rewrites the ledger lines and records the notices.
    type: str
    choices: [audit, enforce]
    default: audit
  idle_months:
    description: Calendar months without access after which a personal mailbox is reclaimed (R-23).
    type: int
    default: 3
  warn_days:
    description: Days before the reclaim date from which the holder and the agency are warned.
    type: int
    default: 14
  grace_days:
    description: Days a reclaimed mailbox keeps its content before it is purged.
    type: int
    default: 30
  bounce:
    description:
      - The text of the permanent bounce (5.2.1) of mail sent to a reclaimed mailbox. Printable ASCII
        (an SMTP reply), at most 200 characters.
    type: str
    default: >-
      This mailbox was reclaimed after 3 months without use (Decision 3712/QD-UBND).
      Ask the city IT centre.
  export_dir:
    description:
      - A directory on the managed host (usually the control node) to export each mailbox to before it
        is purged. It must exist and not be a symbolic link. Omitted, a purge deletes without export.
      - On Exchange, set means "export first" - the files go to O(exchange_export_share).
    type: path
  working_days_only:
    description:
      - Do nothing on a day that is not a working day of the Vietnamese civil service (weekends, Tết
        and the decreed days off, as M(danang.mail.password_policy) counts them) - the run of the next
        working day does what fell due. The result then has C(working_day=false).
    type: bool
    default: false
  calendar_overrides:
    description:
      - The environment's decreed days off and working days, as for M(danang.mail.password_policy);
        only with O(working_days_only).
    type: path
  notices_path:
    description:
      - The YAML file the notices are appended to (one line each, mode 0600); created when missing.
        A notice already recorded (same address, kind and due date) is not recorded again.
      - Omitted, notices are only returned.
    type: path
attributes:
  check_mode:
    support: full
    details: Reads and decides; returns the rows, the notices and the diff of what would change.
  diff_mode:
    support: full
    details: Per address, the ledger status before and after (C(active) to C(reclaimed)) or C(purged).
  idempotent:
    support: full
    details: A second run the same or the next day reclaims, purges and records nothing new.
notes:
  - Run it each working day with C(playbooks/reclaim.yml), which also writes the report (Markdown and
    CSV), after the reconcile (M(danang.mail.mailbox)); commit the ledger afterwards, as after an
    allocation. The ledger's lock is held from reading the ledger to writing it.
  - The notices are recorded, not sent; sending them comes with the notification channel.
seealso:
  - module: danang.mail.mailbox
  - module: danang.mail.address_alloc
"""

EXAMPLES = r"""
- name: The daily reclaim run (enforce), both systems
  danang.mail.reclaim:
    backend: [obm, exchange]
    mode: enforce
    desired_state: "{{ inventory_dir }}/desired_state"
    ledger: "{{ inventory_dir }}/desired_state/ledger.yml"
    export_dir: /srv/danang-mail/reclaimed
    notices_path: /srv/danang-mail/reclaim-notices.yml
    ldap_uri: ldaps://obm.danang.gov.vn
    ldap_bind_password: "{{ obm_ldap_bind_password }}"
    imap_admin_password: "{{ obm_imap_admin_password }}"
    exchange_server: exch01.danang.gov.vn
    ad_uri: ldaps://dc01.danang.gov.vn
  register: reclaimed

- name: What would be reclaimed with 6 months instead of 3 (changes nothing)
  danang.mail.reclaim:
    mode: audit
    idle_months: 6
    desired_state: inventories/lab/desired_state
    ledger: inventories/lab/desired_state/ledger.yml
    ldap_uri: ldap://127.0.0.1:3389
    ldap_bind_password: "{{ obm_ldap_bind_password }}"
    imap_admin_password: "{{ obm_imap_admin_password }}"
"""

RETURN = r"""
today:
  description: The city's date the run judged (Da Nang, UTC+7).
  returned: always
  type: str
  sample: "2027-03-02"
working_day:
  description: False when O(working_days_only) skipped the run (nothing was read or changed).
  returned: always
  type: bool
accounts:
  description: One row per personal mailbox judged, in address order.
  returned: always
  type: list
  elements: dict
  contains:
    address:
      description: The mailbox's address.
      type: str
    holder_id:
      description: The holder's id (the ledger's C(id)).
      type: str
    action:
      description: V(none), V(warn), V(reclaim) or V(purge) - what the rule asks today.
      type: str
    due:
      description: The reclaim date (the later of the systems' due dates); null when never.
      type: str
    purge_on:
      description: The purge date, once reclaimed (or reclaimed today).
      type: str
    reason:
      description: Why, in words (including why a person is never reclaimed).
      type: str
    systems:
      description: Per system - C(created), C(last_access), C(since), C(due), C(reclaimed).
      type: dict
    targets:
      description: The systems the action applies to.
      type: list
      elements: str
    done:
      description: Whether the reclaim or purge was carried out (O(mode=enforce), not check mode).
      type: bool
    errors:
      description: Per system, why the action failed there.
      type: dict
    waiting:
      description:
        - Per system, what a purge waits for - not a failure, a later run finishes it.
        - On Exchange, the export of the mailbox (C(New-MailboxExportRequest)) is queued or running.
      type: dict
  sample:
    - address: dungnv@danang.gov.vn
      holder_id: CB-0001
      action: reclaim
      due: "2027-03-02"
      purge_on: "2027-04-01"
      reason: not used on any system for 3 months (due on 2027-03-02)
      systems: {obm: {created: "2026-11-29T02:00:00+00:00", last_access: null, since: "2026-11-29",
                      due: "2027-02-28", reclaimed: false}}
      targets: [obm]
      done: true
      errors: {}
      waiting: {}
notices:
  description: The notices this run records (or would) - new ones only.
  returned: always
  type: list
  elements: dict
  sample:
    - {address: dungnv@danang.gov.vn, agency_address: stttt@danang.gov.vn, kind: warn, due: "2027-03-02"}
summary:
  description:
    - Persons per action, failures, purges waiting for an export (a later run purges them), and
      persons never reclaimed for want of a creation time.
  returned: always
  type: dict
  sample: {none: 1800, warn: 12, reclaim: 3, purge: 1, failed: 0, waiting: 0, unknown: 0}
ledger_changes:
  description: The addresses whose ledger line became C(reclaimed) (or would).
  returned: always
  type: list
  elements: str
"""

import contextlib
import os
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils import reclaim, reclaim_notices, reclaim_run
from ansible_collections.danang.mail.plugins.module_utils.backends import systems
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.desired_state import (
    MissingLibrary,
    load_desired_state,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger, rewritten_text
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import (
    ledger_lock,
    write_text_atomically,
)
from ansible_collections.danang.mail.plugins.module_utils.model import (
    SYSTEM_OBM,
    Problem,
    ValidationFailed,
    city_today,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import (
    HAS_HOLIDAYS,
    HOLIDAYS_IMPORT_ERROR,
    WorkingCalendar,
    load_overrides,
)

_BOUNCE = re.compile(r"^[\x20-\x7e]{1,200}$")  # an SMTP reply line: printable ASCII

ARGUMENT_SPEC: dict[str, Any] = {
    "backend": {
        "type": "list",
        "elements": "str",
        "choices": sorted(systems.SYSTEMS),
        "default": [SYSTEM_OBM],
        "aliases": ["systems"],
    },
    "mode": {"type": "str", "choices": ["audit", "enforce"], "default": "audit"},
    "idle_months": {"type": "int", "default": 3},
    "warn_days": {"type": "int", "default": 14},
    "grace_days": {"type": "int", "default": 30},
    "bounce": {
        "type": "str",
        "default": "This mailbox was reclaimed after 3 months without use (Decision 3712/QD-UBND). "
        "Ask the city IT centre.",
    },
    "export_dir": {"type": "path"},
    "working_days_only": {"type": "bool", "default": False},
    "calendar_overrides": {"type": "path"},
    "notices_path": {"type": "path"},
    "desired_state": {"type": "path", "required": True},
    "ledger": {"type": "path", "required": True},
    "scope": {"type": "list", "elements": "str", "default": []},
    **systems.CONNECTION_SPEC,
}


def option_problems(params: dict[str, Any]) -> list[Problem]:
    """Every wrong option, before anything is read or changed."""
    problems = []
    if params["idle_months"] < 1:
        problems.append(Problem("idle_months", "", "", "must be at least 1"))
    for key in ("warn_days", "grace_days"):
        if params[key] < 0:
            problems.append(Problem(key, "", "", "must not be negative"))
    if not _BOUNCE.match(params["bounce"]):
        problems.append(
            Problem("bounce", "", "", "must be 1 to 200 printable ASCII characters (an SMTP reply)")
        )
    export_dir = params["export_dir"]
    if export_dir is not None and (os.path.islink(export_dir) or not os.path.isdir(export_dir)):
        problems.append(
            Problem("export_dir", "", "", f"{export_dir} must be an existing directory, not a link")
        )
    return problems


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    today = city_today()  # the city's date (UTC+7), whatever the control node's zone
    policy = reclaim.Policy(params["idle_months"], params["warn_days"], params["grace_days"])
    applied = params["mode"] == "enforce" and not module.check_mode
    problems = option_problems(params)
    if problems:
        raise ValidationFailed(problems)
    if params["working_days_only"]:
        overrides = load_overrides(params["calendar_overrides"]) if params["calendar_overrides"] else None
        if not WorkingCalendar(overrides).is_working_day(today):
            return {
                "changed": False,
                "today": today.isoformat(),
                "working_day": False,
                "accounts": [],
                "notices": [],
                "summary": {},
                "ledger_changes": [],
            }
    state = load_desired_state(params["desired_state"])
    # The ledger is rewritten at the end: hold its lock from reading it (check mode only reads).
    with ledger_lock(params["ledger"]) if applied else contextlib.nullcontext():
        ledger = load_ledger(params["ledger"])
        accounts, problems = reclaim_run.judged_accounts(state, ledger, params["backend"], params["scope"])
        if problems:
            raise ValidationFailed(problems)
        outcome = reclaim_run.Run(accounts=accounts)
        with systems.open_all(params, params["backend"], statistics=True) as backends:
            facts = {}
            for system, backend in backends.items():
                backend.read()
                facts[system] = backend.facts
            outcome.decisions = reclaim_run.decide_all(state, accounts, facts, ledger, today, policy)
            if applied:
                reclaim_run.carry_out(outcome, backends, params["bounce"], params["export_dir"])
        holders = ledger.holders()
        reclaim_run.follow_up(outcome, ledger, reclaim_run.agency_mailboxes(state, holders), applied=applied)
        text = rewritten_text(ledger, outcome.statuses, today) if outcome.statuses else ledger.text
        if applied and text != ledger.text:
            write_text_atomically(params["ledger"], text)
    known: set[tuple[str, ...]] = set()
    notices_text = ""
    if params["notices_path"]:
        notices_text, known = reclaim_notices.read_keys(params["notices_path"])
    fresh = reclaim_notices.new_notices(outcome.notices, known)
    if applied and fresh and params["notices_path"]:
        reclaim_notices.append(params["notices_path"], notices_text, fresh, today)
    acted = (
        any(r.ok for r in outcome.results.values())
        if applied
        else any(d.action in (reclaim.RECLAIM, reclaim.PURGE) for d in outcome.decisions)
    )
    result: dict[str, Any] = {
        "changed": acted or bool(outcome.statuses) or bool(fresh and params["notices_path"]),
        "today": today.isoformat(),
        "working_day": True,
        "accounts": reclaim_run.rows(outcome, applied),
        "notices": [n.as_dict() for n in fresh],
        "summary": reclaim_run.summary(outcome),
        "ledger_changes": sorted(outcome.statuses),
    }
    if params["mode"] == "audit":
        result["changed"] = False
    if module._diff:
        result["diff"] = reclaim_run.diff(outcome)
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    systems.fail_when_missing(module)
    if module.params["working_days_only"] and not HAS_HOLIDAYS:
        module.fail_json(msg=missing_required_lib("holidays"), exception=HOLIDAYS_IMPORT_ERROR)
    try:
        result = run(module)
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.import_traceback)
    except ValidationFailed as exc:
        problems = [str(p) for p in exc.problems]
        module.fail_json(msg=f"{len(problems)} problem(s), nothing changed: {problems[0]}", problems=problems)
    except BackendError as exc:
        module.fail_json(msg=f"cannot use the mail system, the run stopped: {exc}")
    except (OSError, TimeoutError) as exc:
        module.fail_json(msg=f"cannot lock, read or write a file: {exc}")
    failed = result["summary"].get("failed", 0)
    if failed:
        module.fail_json(
            msg=f"{failed} reclaim(s) or purge(s) failed (the others were done; a re-run finishes the job)",
            **result,
        )
    module.exit_json(**result)


if __name__ == "__main__":
    main()
