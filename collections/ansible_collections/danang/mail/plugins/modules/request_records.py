#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: request_records
short_description: List the requests due or overdue and close the applied ones (the daily job)
version_added: 0.4.0
description:
  - Reads every request record of the desired state (C(requests/<id>.yml), one file per request the
    import wrote beside the agency edit) and checks each against the agency files - its agency exists,
    its persons belong to that agency, its mailboxes are that agency's or its departments'.
  - Returns each record's status for the city's date - V(overdue) (its C(due_on), one working day
    after C(received_on) by the Vietnamese calendar, has passed, R-22), V(due) (today), V(open) or
    V(done) - and the items still waiting.
  - Computes the last request day whose addresses are final from O(cutoff) and the city's clock
    (UTC+7) - the day itself once its cut-off has passed, else the day before - for
    M(danang.mail.address_alloc) and M(danang.mail.mailbox) (O(requested_through) there).
  - With O(close=true), after a run that reconciled every system, writes C(done_on) (the city's date)
    into each open record whose items are all applied - a new person or a mailbox holds an address in
    the ledger (a pending person does not), a change or cancel is applied by that run. Each file is
    replaced atomically; nothing else is written.
author:
  - Da Nang city IT infrastructure centre (@danang)
requirements:
  - jsonschema
  - PyYAML
extends_documentation_fragment:
  - danang.mail.attributes
options:
  desired_state:
    description:
      - The desired-state directory of one environment; the records are read from its C(requests/)
        (absent - no request) and checked against its C(agencies/).
      - Only regular files inside the tree are read, as for the agency files
        (M(danang.mail.desired_state_info)).
    type: path
    required: true
  ledger:
    description: The ledger file, read only (which holders have an address).
    type: path
    required: true
  cutoff:
    description:
      - The daily cut-off, C(HH:MM) city time (the inventory's C(danang_mail_daily_cutoff)); gives
        RV(requested_through). Not with O(requested_through).
    type: str
  requested_through:
    description:
      - The last final request day, C(YYYY-MM-DD), when the caller has it already. Not with O(cutoff).
    type: str
  close:
    description:
      - Write C(done_on) into the records whose items are all applied. Only after a run that
        reconciled every system without a failure (the playbook C(daily_apply.yml) does it last).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: With O(close=true), returns the records that would be closed and writes nothing.
  diff_mode:
    support: full
    details: The lines each closed record gains.
  idempotent:
    support: full
    details: A closed record keeps its C(done_on); a second run closes nothing.
notes:
  - Runs on the control node, where the git checkout lives (a play on C(localhost)). The daily job
    commits the closed records with the ledger (the repository's C(docs/gitops.md)).
seealso:
  - module: danang.mail.address_alloc
  - module: danang.mail.desired_state_info
"""

EXAMPLES = r"""
- name: The last final request day at the cut-off, and the requests due or overdue
  danang.mail.request_records:
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    cutoff: "{{ danang_mail_daily_cutoff }}"
  register: danang_mail_requests

- name: Close the requests the run applied (after every system was reconciled)
  danang.mail.request_records:
    desired_state: "{{ danang_mail_desired_state }}"
    ledger: "{{ danang_mail_ledger }}"
    requested_through: "{{ danang_mail_requested_through }}"
    close: true
"""

RETURN = r"""
requested_through:
  description: The last final request day (from O(cutoff) or O(requested_through)); null without either.
  returned: success
  type: str
  sample: "2026-12-07"
today:
  description: The city's date (UTC+7) the statuses are for.
  returned: success
  type: str
  sample: "2026-12-08"
records:
  description: Every record, overdue first, then due, open and done; by due date and id within.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: The record's id (its file is C(requests/<id>.yml)).
      type: str
      sample: 2026-12-07-stttt-1
    form:
      description: V(01), V(02) or V(records).
      type: str
    agency:
      description: The agency's abbreviation.
      type: str
    received_on:
      description: The day the request arrived.
      type: str
    due_on:
      description: The day its result is due (R-22).
      type: str
    done_on:
      description: The day it was closed (after this run's closing); null while open.
      type: str
    status:
      description: V(overdue), V(due), V(open) or V(done), after this run's closing.
      type: str
    requester:
      description: Who receives the result (name, email, phone; R-22).
      type: dict
    items:
      description: What the request asks.
      type: list
      elements: dict
    waiting:
      description: The items not applied yet, for example C(new CB-2026-000301).
      type: list
      elements: str
counts:
  description: Records per status.
  returned: success
  type: dict
  sample: {overdue: 0, due: 1, open: 2, done: 7}
closed:
  description: The ids of the records this run closed (or would close, in check mode).
  returned: success
  type: list
  elements: str
  sample: [2026-12-07-stttt-1]
problems:
  description: "Every problem found, as C(file: entry: field: message); the module fails and writes nothing."
  returned: failure
  type: list
  elements: str
"""

import datetime
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.desired_state import (
    MissingLibrary,
    load_desired_state,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import write_text_atomically
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE, ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    final_through,
    load_records,
    parse_cutoff,
    record_text,
    through_date,
)
from ansible_collections.danang.mail.plugins.module_utils.request_status import statuses, to_close

ARGUMENT_SPEC: dict[str, Any] = {
    "desired_state": {"type": "path", "required": True},
    "ledger": {"type": "path", "required": True},
    "cutoff": {"type": "str"},
    "requested_through": {"type": "str"},
    "close": {"type": "bool", "default": False},
}


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    now = datetime.datetime.now(CITY_TIMEZONE)  # the city's clock, whatever the control node's zone
    if params["cutoff"] is not None:
        through = final_through(now, parse_cutoff(params["cutoff"]))
    else:
        through = through_date(params["requested_through"])
    state = load_desired_state(params["desired_state"])
    records = load_records(params["desired_state"], state)
    holders = load_ledger(params["ledger"]).holders()
    closing = to_close(records, holders, now.date()) if params["close"] else []
    diff = []
    for record in closing:
        before, after = record_text(next(r for r in records if r.id == record.id)), record_text(record)
        diff.append(
            {"before_header": record.source, "after_header": record.source, "before": before, "after": after}
        )
        if not module.check_mode:
            write_text_atomically(record.source, after)
    closed = {r.id: r for r in closing}
    found = [s.as_dict() for s in statuses((closed.get(r.id, r) for r in records), holders, now.date())]
    counts = {
        status: sum(1 for s in found if s["status"] == status)
        for status in ("overdue", "due", "open", "done")
    }
    output: dict[str, Any] = {
        "changed": bool(closing),
        "requested_through": through.isoformat() if through else None,
        "today": now.date().isoformat(),
        "records": found,
        "counts": counts,
        "closed": sorted(closed),
    }
    if module._diff and diff:
        output["diff"] = diff
    return output


def main() -> None:
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("cutoff", "requested_through")],
    )
    try:
        output = run(module)
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.import_traceback)
    except ValidationFailed as exc:
        problems = [str(p) for p in exc.problems]
        module.fail_json(msg=f"{len(problems)} problem(s), nothing written: {problems[0]}", problems=problems)
    except OSError as exc:
        module.fail_json(msg=f"cannot read or write the request records: {exc}")
    module.exit_json(**output)


if __name__ == "__main__":
    main()
