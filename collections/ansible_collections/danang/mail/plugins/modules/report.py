#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: report
short_description: Write the R-60 report on the system's operation and use, or the R-47 password list
version_added: 0.5.0
description:
  - Computes the report O(kind) from the ledger, the request records, the journals and one bulk read of
    each system of O(backend), and writes its files to O(output_dir) - one self-contained HTML file
    with the charts embedded, one CSV per table and a Markdown summary, named C(r60-<period>.*) or
    C(r47-<date>.*).
  - V(r60) (R-60, six-monthly or annual) - accounts per agency and system; created, changed, cancelled
    and reclaimed in O(period); quota use (distribution, mailboxes at 90 % or more); personal mailboxes
    idle for O(idle_months) (R-23); password compliance (R-41, R-47); forwarding findings (R-50); the
    spam filter's counters (OBM, rspamd's controller, when O(rspamd_url) is set; Exchange gives none);
    requests received and how many were done within 1 working day (R-22); notifications sent by kind.
  - V(r47) - the list of mailboxes that kept an initial password past its 3 working days or a password
    for 6 months (R-41), with agency, reason and since when, for the Department (R-47).
  - The state figures (accounts, quota, idle, passwords, forwards) are as read now; the period figures
    are dated by their records. The files hold no time but the period and the as-of time (C(as_of)),
    so the same data gives the same bytes; a file is only rewritten when its bytes change.
  - Each file is written atomically; a target that is a symbolic link (or not a regular file) is
    refused before anything is written.
author:
  - Da Nang city IT infrastructure centre (@danang)
requirements:
  - PyYAML
  - jsonschema
  - holidays
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.obm
  - danang.mail.exchange
  - danang.mail.credentials.calendar
options:
  desired_state:
    description:
      - The desired-state directory of one environment (C(inventories/<env>/desired_state)); its
        agencies, and the request records of its C(requests/) subdirectory, are read and validated.
    type: path
    required: true
  ledger:
    description:
      - The address ledger (R-03), usually C(<desired_state>/ledger.yml); only read. A missing,
        unsealed, cut or edited ledger, or a link, is refused.
    type: path
    required: true
  kind:
    description: V(r60) the periodic report, V(r47) the password list.
    type: str
    choices: [r60, r47]
    default: r60
  period:
    description:
      - The R-60 period - a half year V(2026H1), V(2026H2) or a year V(2026); or V(previous-half) or
        V(previous-year), the last one that ended before today (city date) - what a scheduled run on 1
        July or 1 January reports on. Required with O(kind=r60); not used with V(r47), which lists the
        accounts as they are now.
    type: str
  output_dir:
    description: The directory the files are written to; it must exist and not be a symbolic link.
    type: path
    required: true
  backend:
    description:
      - The mail systems to read, each once in bulk (facts, password facts, forwards).
      - The OBM options O(ldap_uri), O(ldap_bind_password) and O(imap_admin_password) are required
        with V(obm); O(exchange_server) and O(ad_uri) with V(exchange).
    type: list
    elements: str
    choices: [obm, exchange]
    default: [obm]
    aliases: [systems]
  notifications_dir:
    description:
      - The journal of notifications sent (C(desired_state/notifications)), one file per month
        C(YYYY-MM.yml); every month file overlapping the period is read (none for V(r47)). Missing -
        none sent.
      - A symlinked directory or month file, and a name in it other than C(YYYY-MM.yml), are refused.
    type: path
  reclaim_notices_path:
    description: The reclaim run's journal (C(reclaim-notices.yml), R-23); missing - none recorded.
    type: path
  forwards_removed_path:
    description: The forwarding run's journal (C(forwards-removed.yml), R-50); missing - none recorded.
    type: path
  city_domains:
    description: The city's mail domains, for the forwarding findings; omitted, O(domain) alone.
    type: list
    elements: str
  idle_months:
    description: Months without use after which a personal mailbox counts as idle (R-23).
    type: int
    default: 3
  rspamd_url:
    description: rspamd's controller on the OBM server (V(http://127.0.0.1:11334)); omitted, no spam figures.
    type: str
  rspamd_password:
    description: The controller's password.
    type: str
  rspamd_ca_file:
    description: The CA certificate for an V(https) controller.
    type: path
attributes:
  check_mode:
    support: full
    details: Reads and computes everything; writes nothing and returns the files it would write.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: The same data gives the same bytes; unchanged files are not written again.
notes:
  - Run it with C(playbooks/report.yml) - C(-e period=2026H2), or C(-e report=r47); the schedule for
    cron and AWX is in C(docs/reports.md).
  - Nothing is changed on the mail systems.
seealso:
  - module: danang.mail.password_policy
  - module: danang.mail.reclaim
  - module: danang.mail.forwarding
"""

EXAMPLES = r"""
- name: The report for the second half of 2026 (R-60)
  danang.mail.report:
    kind: r60
    period: 2026H2
    output_dir: /srv/danang-mail/reports
    backend: [obm, exchange]
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    notifications_dir: "{{ danang_mail_desired_state }}/notifications"
    reclaim_notices_path: /srv/danang-mail/reports/reclaim-notices.yml
    forwards_removed_path: /srv/danang-mail/reports/forwards-removed.yml
    rspamd_url: http://127.0.0.1:11334
    rspamd_password: "{{ vault_obm_rspamd_controller_password }}"
    ldap_uri: ldaps://obm.danang.gov.vn
    ldap_bind_password: "{{ obm_ldap_bind_password }}"
    imap_admin_password: "{{ obm_imap_admin_password }}"
    exchange_server: exch01.danang.gov.vn
    ad_uri: ldaps://dc01.danang.gov.vn

- name: The R-47 list as of today
  danang.mail.report:
    kind: r47
    output_dir: /srv/danang-mail/reports
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    ldap_uri: ldaps://obm.danang.gov.vn
    ldap_bind_password: "{{ obm_ldap_bind_password }}"
    imap_admin_password: "{{ obm_imap_admin_password }}"
"""

RETURN = r"""
as_of:
  description: The data's as-of time (ISO 8601, UTC+7), the only time in the files besides the period.
  returned: success
  type: str
  sample: "2027-01-01T06:00:00+07:00"
files:
  description: Every file of the report, full paths, sorted.
  returned: success
  type: list
  elements: str
written:
  description: The files written by this run (or that would be, in check mode) - those whose bytes changed.
  returned: success
  type: list
  elements: str
headline:
  description: The key figures, label to value, in the report's order.
  returned: success
  type: dict
  sample: {"Tài khoản": 1840, "Cấp mới trong kỳ": 112}
period:
  description: The period, its first and last day and the due dates (V(r60) only).
  returned: success
  type: dict
  sample: {name: 2026H2, first: "2026-07-01", last: "2026-12-31", due_centre: "2027-01-10",
           due_department: "2027-01-20"}
"""

import datetime
import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils import (
    report_charts,
    report_figures,
    report_files,
    report_html,
    report_inputs,
)
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
    Problem,
    ValidationFailed,
)
from ansible_collections.danang.mail.plugins.module_utils.report_period import parse_period
from ansible_collections.danang.mail.plugins.module_utils.request_records import load_records
from ansible_collections.danang.mail.plugins.module_utils.rspamd_controller import (
    ControllerError,
    RspamdController,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import (
    HAS_HOLIDAYS,
    HOLIDAYS_IMPORT_ERROR,
    WorkingCalendar,
    load_overrides,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "kind": {"type": "str", "choices": list(report_figures.KINDS), "default": "r60"},
    "period": {"type": "str"},
    "output_dir": {"type": "path", "required": True},
    "backend": {
        "type": "list",
        "elements": "str",
        "choices": sorted(systems.SYSTEMS),
        "default": [SYSTEM_OBM],
        "aliases": ["systems"],
    },
    "notifications_dir": {"type": "path"},
    "reclaim_notices_path": {"type": "path"},
    "forwards_removed_path": {"type": "path"},
    "city_domains": {"type": "list", "elements": "str"},
    "idle_months": {"type": "int", "default": 3},
    "calendar_overrides": {"type": "path"},
    "rspamd_url": {"type": "str"},
    "rspamd_password": {"type": "str", "no_log": True},
    "rspamd_ca_file": {"type": "path"},
    "desired_state": {"type": "path", "required": True},
    "ledger": {"type": "path", "required": True},
    **systems.CONNECTION_SPEC,
}


def read_system(params: dict[str, Any], system: str) -> report_inputs.SystemRead:
    """One bulk read of ``system``: facts, password facts, forwards, and rspamd's counters on OBM."""
    with systems.open_system(params, system, statistics=True) as backend:
        backend.read()
        facts = dict(backend.facts)
        passwords = backend.read_password_facts()
        forwards = backend.read_forwards()
    spam = None
    if system == SYSTEM_OBM and params["rspamd_url"]:
        controller = RspamdController(
            params["rspamd_url"], params["rspamd_password"] or "", ca_file=params["rspamd_ca_file"]
        )
        spam = controller.stat()
    return report_inputs.SystemRead(facts, passwords, forwards, spam)


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    as_of = datetime.datetime.now(CITY_TIMEZONE).replace(microsecond=0)  # the data's as-of time
    problems = []
    if params["idle_months"] < 1:
        problems.append(Problem("idle_months", "", "", "must be at least 1"))
    if params["kind"] == "r60" and not params["period"]:
        problems.append(Problem("period", "", "", "required with kind r60 (YYYYH1, YYYYH2 or YYYY)"))
    if params["rspamd_url"] and not params["rspamd_password"]:
        problems.append(Problem("rspamd_password", "", "", "required with rspamd_url"))
    if problems:
        raise ValidationFailed(problems)
    period = parse_period(params["period"], as_of.date()) if params["kind"] == "r60" else None
    state = load_desired_state(params["desired_state"])
    overrides = load_overrides(params["calendar_overrides"]) if params["calendar_overrides"] else None
    journals = {
        key: report_inputs.read_journal(params[f"{key}_path"])
        for key in ("reclaim_notices", "forwards_removed")
    }
    inputs = report_inputs.Inputs(
        state=state,
        ledger=load_ledger(params["ledger"]).entries,
        records=load_records(params["desired_state"], state),
        systems={system: read_system(params, system) for system in params["backend"]},
        as_of=as_of,
        calendar=WorkingCalendar(overrides),
        city_domains=params["city_domains"] or [params["domain"]],
        notifications=(
            report_inputs.read_notifications(params["notifications_dir"], period.first, period.last)
            if period
            else ()
        ),
        reclaim_notices=report_inputs.reclaim_notices(
            journals["reclaim_notices"], str(params["reclaim_notices_path"])
        ),
        forwards_removed=report_inputs.forwards_removed(
            journals["forwards_removed"], str(params["forwards_removed_path"])
        ),
        idle_months=params["idle_months"],
    )
    report = report_figures.r60(inputs, period) if period else report_figures.r47(inputs)
    files = report_files.contents(report)
    directory = params["output_dir"]
    written = (
        report_files.changed(directory, files) if module.check_mode else report_files.write(directory, files)
    )
    result: dict[str, Any] = {
        "changed": bool(written),
        "as_of": report.as_of,
        "files": [os.path.join(directory, name) for name in files],
        "written": [os.path.join(directory, name) for name in written],
        "headline": dict(report.headline),
    }
    if period:
        result["period"] = {
            "name": period.name,
            **{k: getattr(period, k).isoformat() for k in ("first", "last", "due_centre", "due_department")},
        }
    return result


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    systems.fail_when_missing(module)
    if not HAS_HOLIDAYS:
        module.fail_json(msg=missing_required_lib("holidays"), exception=HOLIDAYS_IMPORT_ERROR)
    if not report_charts.HAS_MATPLOTLIB:
        module.fail_json(
            msg=missing_required_lib("matplotlib"), exception=report_charts.MATPLOTLIB_IMPORT_ERROR
        )
    if not report_html.HAS_JINJA2:
        module.fail_json(msg=missing_required_lib("Jinja2"), exception=report_html.JINJA2_IMPORT_ERROR)
    try:
        result = run(module)
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.import_traceback)
    except ValidationFailed as exc:
        problems = [str(p) for p in exc.problems]
        module.fail_json(msg=f"{len(problems)} problem(s), nothing written: {problems[0]}", problems=problems)
    except (BackendError, ControllerError) as exc:
        module.fail_json(msg=f"cannot read the mail system, nothing written: {exc}")
    except (OSError, TimeoutError) as exc:
        module.fail_json(msg=f"cannot read or write a file, nothing more written: {exc}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
