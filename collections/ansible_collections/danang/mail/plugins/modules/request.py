#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: request
short_description: Import an agency's request (form 01/02, records export) into the desired state
version_added: 0.1.0
description:
  - Reads a request (R-20, R-21) - a form Mẫu 01 (persons) or Mẫu 02 (agency and department mailboxes)
    in YAML or in the XLSX template an agency clerk fills, or the records software's "Cấp Email"
    export (R-72) in CSV or XLSX with its column mapping O(mapping) - and turns it into the
    smallest edit of the agency files plus one request record per agency and request day under
    C(requests/) (R-22).
  - A new person becomes a new entry at the end of C(people) with C(requested_on) the request's day
    (R-13, R-14); a change writes only the fields that differ; a cancel sets C(state=removed) and
    never deletes the entry (R-03); a mailbox sets C(mailbox=true) and the given C(owner) and
    C(delegate) (R-71), adding the department when the form names a new one.
  - Edits keep the file's comments, key order, quoting and layout (ruamel.yaml round trip); a file
    that would not read back byte for byte is refused rather than reformatted.
  - Refused with the reason, nothing written, for a records code already used by another person, a
    person unknown to this agency, a department the agency does not have, a change that changes
    nothing, an agency without a file, a legacy-encoded (TCVN3, VNI) name anywhere in the file (the
    whole file, R-15), an XLSX formula (formulas are never evaluated), any problem the desired-state
    validation finds in the edited tree (M(danang.mail.desired_state_info)'s rules).
  - Returns a Markdown summary for the pull request, with the addresses the request brings computed
    on the ledger without writing it, marked provisional (final at the daily cut-off, R-14).
author:
  - Da Nang city IT infrastructure centre (@danang)
requirements:
  - PyYAML
  - jsonschema
  - ruamel.yaml
  - openpyxl (XLSX files only)
  - holidays
extends_documentation_fragment:
  - danang.mail.attributes
options:
  request:
    description:
      - The request file - C(.yml)/C(.yaml) (a form), C(.xlsx) (a form, or an export when O(mapping) is
        given) or C(.csv) (an export; needs O(mapping)). Regular file only, at most 8 MiB.
    type: path
    required: true
  mapping:
    description:
      - The column mapping of the records software's export, usually
        C(inventories/<env>/records_mapping.yml) (the repository's C(docs/requests.md)).
    type: path
  desired_state:
    description: The desired-state directory, for example C(inventories/lab/desired_state).
    type: path
    required: true
  ledger:
    description:
      - The ledger, read (never written) for the provisional addresses. Default C(<desired_state>/ledger.yml);
        a missing ledger gives every address as provisional.
    type: path
  domain:
    description: The mail domain of the addresses (R-01).
    type: str
    default: danang.gov.vn
  reserved:
    description: Local parts never issued, as for M(danang.mail.address_alloc).
    type: list
    elements: str
    default: []
  calendar_overrides:
    description: The environment's decreed days off and working days, for the due date (R-22).
    type: path
attributes:
  check_mode:
    support: full
    details: Check mode computes the same edit, records and summary and writes nothing.
  diff_mode:
    support: full
    details: One diff per file - the agency files' changed lines and each new record.
  idempotent:
    support: full
    details:
      A request already imported (a record with the same form, agency, day and lines) is reported in
      RV(duplicates) and changes nothing.
notes:
  - Runs on the control node, in the git checkout of the desired state (a play on C(localhost)).
    The repository's C(tools/gitops) puts the change on a branch and opens the pull request.
seealso:
  - module: danang.mail.desired_state_info
  - module: danang.mail.address_alloc
"""

EXAMPLES = r"""
- name: Import a form 01 (check mode shows the diff of the agency file)
  danang.mail.request:
    request: forms/mau-01.yml
    desired_state: inventories/lab/desired_state
  check_mode: true
  diff: true

- name: Import the records software's export
  danang.mail.request:
    request: /srv/requests/cap-email-2026-12-07.xlsx
    mapping: inventories/production/records_mapping.yml
    desired_state: inventories/production/desired_state
  register: imported
"""

RETURN = r"""
records:
  description: The ids of the request records written (or that would be), C(<received_on>-<agency>-<n>).
  returned: success
  type: list
  elements: str
  sample: [2026-12-07-stttt-1]
files:
  description: The files written (or that would be), relative to O(desired_state)'s parent.
  returned: success
  type: list
  elements: str
  sample: [desired_state/agencies/stttt.yml, desired_state/requests/2026-12-07-stttt-1.yml]
duplicates:
  description: Records the request was already imported as; nothing changes for those.
  returned: success
  type: list
  elements: str
  sample: []
summary:
  description:
    - The import in Markdown for the pull request's description.
    - The addresses the request brings are marked provisional.
  returned: success
  type: str
problems:
  description: "Every problem found, as C(file: entry: field: message); the module fails when there is one."
  returned: failure
  type: list
  elements: str
  sample:
    - "forms/mau-01.yml: people[0]: id: the records code 'CB-2017-000101' is already used by stttt's
      Nguyễn Văn Dũng (ids are unique in the city, R-72): a change or cancel, not a new entry"
"""

import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.agency_edit import HAS_RUAMEL, RUAMEL_IMPORT_ERROR
from ansible_collections.danang.mail.plugins.module_utils.desired_state import (
    MissingLibrary,
    require_libraries,
)
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.module_utils.model import (
    DEFAULT_DOMAIN,
    ValidationFailed,
    city_today,
)
from ansible_collections.danang.mail.plugins.module_utils.request_files import read_request
from ansible_collections.danang.mail.plugins.module_utils.request_import import (
    plan_import,
    write_files,
)
from ansible_collections.danang.mail.plugins.module_utils.request_summary import (
    provisional_addresses,
    summary_markdown,
)
from ansible_collections.danang.mail.plugins.module_utils.request_tables import (
    HAS_OPENPYXL,
    OPENPYXL_IMPORT_ERROR,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import (
    HAS_HOLIDAYS,
    HOLIDAYS_IMPORT_ERROR,
    WorkingCalendar,
    load_overrides,
)

ARGUMENT_SPEC = {
    "request": {"type": "path", "required": True},
    "mapping": {"type": "path"},
    "desired_state": {"type": "path", "required": True},
    "ledger": {"type": "path"},
    "domain": {"type": "str", "default": DEFAULT_DOMAIN},
    "reserved": {"type": "list", "elements": "str", "default": []},
    "calendar_overrides": {"type": "path"},
}


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    root = params["desired_state"].rstrip("/")
    overrides = load_overrides(params["calendar_overrides"]) if params["calendar_overrides"] else None
    calendar = WorkingCalendar(overrides)
    plan = plan_import(root, read_request(params["request"], params["mapping"]), calendar)
    ledger_path = params["ledger"] or os.path.join(root, "ledger.yml")
    entries = load_ledger(ledger_path).entries if os.path.lexists(ledger_path) else ()
    allocation = provisional_addresses(
        plan.state, entries, domain=params["domain"], reserved=params["reserved"], today=city_today()
    )
    held = {entry.id: entry.address for entry in entries}
    base = os.path.dirname(root)
    files = [os.path.relpath(path, base) for path in plan.files]
    if plan.files and not module.check_mode:
        write_files(plan)
    for warning in calendar.warnings:
        module.warn(warning)
    output: dict[str, Any] = {
        "changed": bool(plan.files),
        "records": [record.id for record in plan.records],
        "files": files,
        "duplicates": plan.duplicates,
        "summary": summary_markdown(plan, allocation, held, files),
    }
    if module._diff:
        output["diff"] = [
            {"before": before or "", "after": after, "before_header": name, "after_header": name}
            for name, (before, after) in zip(files, plan.files.values(), strict=True)
        ]
    return output


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    for present, name, error in (
        (HAS_RUAMEL, "ruamel.yaml", RUAMEL_IMPORT_ERROR),
        (HAS_HOLIDAYS, "holidays", HOLIDAYS_IMPORT_ERROR),
        (
            HAS_OPENPYXL or not module.params["request"].lower().endswith(".xlsx"),
            "openpyxl",
            OPENPYXL_IMPORT_ERROR,
        ),
    ):
        if not present:
            module.fail_json(msg=missing_required_lib(name), exception=error)
    try:
        require_libraries()
        output = run(module)
    except MissingLibrary as exc:
        module.fail_json(msg=missing_required_lib(exc.name), exception=exc.import_traceback)
    except ValidationFailed as exc:
        problems = [str(p) for p in exc.problems]
        shown = "; ".join(problems[:3]) + (
            f" (and {len(problems) - 3} more, see problems)" if len(problems) > 3 else ""
        )
        module.fail_json(msg=f"{len(problems)} problem(s), nothing was written: {shown}", problems=problems)
    except OSError as exc:
        module.fail_json(msg=f"cannot read or write the desired state: {exc}")
    module.exit_json(**output)


if __name__ == "__main__":
    main()
