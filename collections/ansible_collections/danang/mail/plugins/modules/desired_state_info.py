#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: desired_state_info
short_description: Load and validate the desired state of the Da Nang city e-mail system
version_added: 0.1.0
description:
  - Reads C(agencies/*.yml) under O(path), one file per agency named C(<abbreviation>.yml), and checks
    it against the agency JSON Schema and the rules of Decision 3712/QĐ-UBND (R-10 to R-15).
  - Reports every problem at once, each naming the file, the entry (for example
    C(people[3] (id CB-2017-000123))) and the field.
  - Refuses the whole tree when any name looks like text from a legacy TCVN3 or VNI export (R-15).
  - Reads only regular files inside the tree, without following symbolic links; a link, FIFO,
    directory or hidden file in C(agencies/) is a problem (C(.gitkeep) and C(.keep) excepted).
    Files over 2 MiB, nesting over 16 levels, anchors and aliases, merge keys, YAML 1.1 booleans
    such as C(on) and numbers such as C(0x1F) are refused with the fix (the repository's
    C(docs/desired-state.md), "Hostile or broken files").
  - Reads the request records C(requests/<id>.yml) the same way (the directory may be absent) and
    checks each - its fields, its agency, that its persons belong to that agency and its mailboxes
    are that agency's or its departments' (M(danang.mail.request_records)).
  - Returns counts, a summary per agency and the address requests for M(danang.mail.address_alloc).
  - Reads files only; it never changes anything. Runs on the control node, where the desired state
    lives (use it in a play on C(localhost)).
author:
  - Da Nang city IT infrastructure centre (@danang)
requirements:
  - jsonschema
  - PyYAML
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.attributes.info_module
options:
  path:
    description:
      - The desired-state directory of one environment, for example
        C(inventories/lab/desired_state); agency files are read from its C(agencies/) subdirectory.
    type: path
    required: true
notes:
  - Birth dates and phone numbers (needed by the password checks, R-43) are refused in agency files;
    they belong in the ansible-vault file C(inventories/<env>/personal_data.vault.yml).
seealso:
  - module: danang.mail.address_alloc
"""

EXAMPLES = r"""
- name: Validate the lab city and get its address requests
  danang.mail.desired_state_info:
    path: "{{ inventory_dir }}/desired_state"
  delegate_to: localhost
  run_once: true
  register: desired

- name: Allocate the addresses
  danang.mail.address_alloc:
    requests: "{{ desired.address_requests }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
agencies:
  description: Number of agencies.
  returned: success
  type: int
  sample: 6
people:
  description: Number of people by state.
  returned: success
  type: dict
  sample: {active: 54, disabled: 3, removed: 3}
requests:
  description: Number of request records, by whether they are closed (C(done_on)).
  returned: success
  type: dict
  sample: {open: 2, done: 7}
summary:
  description: One entry per agency, sorted by abbreviation.
  returned: success
  type: list
  elements: dict
  contains:
    abbreviation:
      description: The agency's abbreviation.
      type: str
      sample: stttt
    name:
      description: The agency's name, normalised to NFC.
      type: str
      sample: Sở Thông tin và Truyền thông
    departments:
      description: Number of departments.
      type: int
      sample: 3
    people:
      description: Number of people by state.
      type: dict
      sample: {active: 12, disabled: 1, removed: 1}
address_requests:
  description:
    - What needs an address, for M(danang.mail.address_alloc), agencies first, then departments, then people.
    - Agencies and departments with a mailbox (R-10, R-11); people in state active or disabled (R-12).
      Removed people get no new address; the ledger keeps the one they had.
    - Person names are given as explicit parts; C(middle_name) is left out when there is none.
  returned: success
  type: list
  elements: dict
  sample:
    - {id: agency/stttt, kind: agency, abbreviation: stttt}
    - {id: department/stttt/thanhtra, kind: department, abbreviation: thanhtra, agency: stttt}
    - id: CB-2017-000101
      kind: person
      family_name: Nguyễn
      middle_name: Văn
      given_name: Dũng
      rank: 3
      requested_on: "2017-08-01"
      agency: stttt
problems:
  description: "Every problem found, as C(file: entry: field: message); the module fails when there is one."
  returned: failure
  type: list
  elements: str
  sample:
    - "agencies/stc.yml: people[3] (id CB-2019-000301): department: unknown department 'qlds'"
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.desired_state import (
    MissingLibrary,
    load_desired_state,
)
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.request_records import load_records


def summarise(state, records=()):
    """The module's result for a valid desired state (no business rule here)."""
    summary = []
    for agency in state.agencies:
        summary.append(
            {
                "abbreviation": agency.abbreviation,
                "name": agency.name,
                "departments": len(agency.departments),
                "people": agency.count_people(),
            }
        )
    return {
        "agencies": len(state.agencies),
        "people": state.count_people(),
        "summary": summary,
        "address_requests": state.address_requests(),
        "requests": {
            "open": sum(1 for r in records if r.done_on is None),
            "done": sum(1 for r in records if r.done_on is not None),
        },
    }


def main():
    module = AnsibleModule(
        argument_spec={"path": {"type": "path", "required": True}},
        supports_check_mode=True,
    )
    path = module.params["path"]
    try:
        state = load_desired_state(path)
        records = load_records(path, state)
    except MissingLibrary as err:
        module.fail_json(msg=missing_required_lib(err.name), exception=err.import_traceback)
    except ValidationFailed as err:
        problems = [str(problem) for problem in err.problems]
        module.fail_json(msg=f"the desired state in {path} has {len(problems)} problem(s)", problems=problems)
    except OSError as err:
        module.fail_json(msg=f"cannot read the desired state in {path}: {err}")
    module.exit_json(changed=False, **summarise(state, records))


if __name__ == "__main__":
    main()
