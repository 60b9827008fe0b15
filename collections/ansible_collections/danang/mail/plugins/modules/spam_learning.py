#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: spam_learning
short_description: Teach rspamd the spam the technical team confirmed in the spam-report mailbox (R-51)
version_added: 0.1.0
description:
  - Users forward spam to the spam-report mailbox C(chanthurac@<domain>) (R-51), a shared mailbox on
    OBM opened by the technical team. The team files each report it confirms in one folder of that
    mailbox, O(confirmed_folder).
  - This module reads that folder over IMAP as the Cyrus administrator, gives every message in it to
    rspamd's controller as spam (C(POST /learnspam)) and moves each learned message to
    O(learned_folder), so that nothing is learned twice. No other folder is read, so nothing is
    learned that the team did not confirm.
  - A message rspamd will not learn (too few words, for instance) stays in O(confirmed_folder) and is
    reported in RV(messages) with its error. The module fails at the first controller or IMAP failure
    (unreachable, wrong password), reporting what it did before.
  - The two folders are created when missing. Cyrus gives its administrators only the C(l) and C(a)
    rights by themselves, so the administrator is given C(lrswited) on the two folders (and keeps
    them); the rights of the technical team are left alone.
  - Only the IMAP options of the OBM connection are used; the LDAP ones are accepted so that the
    connection of group C(danang.mail.obm) can be given to every module at once.
  - Run it on a schedule with C(playbooks/spam_learning.yml).
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
  - danang.mail.obm
options:
  backend:
    description: The mail system whose filter learns; only V(obm) (rspamd filters OBM's mail).
    type: str
    choices: [obm]
    default: obm
  rspamd_url:
    description:
      - rspamd's controller, V(http://127.0.0.1:11334) on the OBM server (role danang.mail.obm_server).
      - Plain C(http) only to a loopback address; anything else must be C(https), so that the password
        never crosses the network in clear.
    type: str
    required: true
  rspamd_password:
    description: The controller's password (the role's C(obm_server_rspamd_controller_password)).
    type: str
    required: true
  rspamd_ca_file:
    description: CA file to check an C(https) controller's certificate against (default the system's).
    type: path
  confirmed_folder:
    description: The folder of the spam-report mailbox where the team files confirmed spam.
    type: str
    default: confirmed spam
  learned_folder:
    description: Where learned messages are moved to.
    type: str
    default: learned spam
attributes:
  check_mode:
    support: full
    details: >-
      Lists the messages that would be learned and learns, moves, creates and grants nothing. Before
      the first real run the administrator cannot read the folder yet: check mode then only says what
      it would create and grant.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: A second run finds the confirmed folder empty and learns nothing.
seealso:
  - module: danang.mail.mailbox
"""

EXAMPLES = r"""
- name: Learn the confirmed spam of chanthurac@ (R-51)
  danang.mail.spam_learning:
    rspamd_url: http://127.0.0.1:11334
    rspamd_password: "{{ vault_obm_rspamd_controller_password }}"
    ldap_uri: ldap://127.0.0.1
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
    domain: danang.gov.vn

- name: See what the next run would learn
  danang.mail.spam_learning:
    rspamd_url: http://127.0.0.1:11334
    rspamd_password: "{{ vault_obm_rspamd_controller_password }}"
    ldap_uri: ldap://127.0.0.1
    ldap_bind_password: "{{ vault_obm_ldap_bind_password }}"
    imap_admin_password: "{{ vault_obm_imap_admin_password }}"
  check_mode: true
"""

RETURN = r"""
mailbox:
  description: The spam-report mailbox (its Cyrus name).
  returned: always
  type: str
  sample: chanthurac@danang.gov.vn
messages:
  description: >-
    Each message found in O(confirmed_folder) and its outcome - C(learned), C(already learned) (rspamd
    had learned it before; moved too), C(would learn) (check mode) or C(refused) (left in place, with
    C(error)).
  returned: always
  type: list
  elements: dict
  sample:
    - uid: 7
      message_id: "<x1@example.org>"
      sender: "Khuyến mãi <km@example.org>"
      subject: Trúng thưởng
      outcome: learned
summary:
  description: How many messages were learned, already learned, refused, or would be learned.
  returned: always
  type: dict
  sample: {learned: 3, already_learned: 0, refused: 1, would_learn: 0}
created:
  description: The folders created (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
granted:
  description: The folders on which the administrator was given C(lrswited) (or would be).
  returned: always
  type: list
  elements: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import (
    ARGUMENT_SPEC as OBM_OPTIONS,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import config_from_params
from ansible_collections.danang.mail.plugins.module_utils.backends.systems import CONNECTION_SPEC, REQUIRED
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_OBM
from ansible_collections.danang.mail.plugins.module_utils.rspamd_controller import (
    ControllerError,
    RspamdController,
)
from ansible_collections.danang.mail.plugins.module_utils.spam_learning import (
    CONFIRMED_FOLDER,
    LEARNED_FOLDER,
    LearningError,
    LearningRun,
    folder_names,
    learn_confirmed,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "backend": {"type": "str", "choices": [SYSTEM_OBM], "default": SYSTEM_OBM},
    "rspamd_url": {"type": "str", "required": True},
    "rspamd_password": {"type": "str", "required": True, "no_log": True},
    "rspamd_ca_file": {"type": "path"},
    "confirmed_folder": {"type": "str", "default": CONFIRMED_FOLDER},
    "learned_folder": {"type": "str", "default": LEARNED_FOLDER},
    **{key: spec for key, spec in CONNECTION_SPEC.items() if key in OBM_OPTIONS},
}


def result(run: LearningRun) -> dict[str, Any]:
    return {
        "changed": run.changed,
        "mailbox": run.mailbox,
        "messages": [m.as_dict() for m in run.messages],
        "summary": {
            "learned": run.count("learned"),
            "already_learned": run.count("already learned"),
            "refused": run.count("refused"),
            "would_learn": run.count("would learn"),
        },
        "created": run.created,
        "granted": run.granted,
    }


def main() -> None:
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
        required_if=[("backend", SYSTEM_OBM, REQUIRED[SYSTEM_OBM])],
    )
    params = module.params
    config = config_from_params(params)
    try:
        folder_names(config.domain, params["confirmed_folder"], params["learned_folder"])
        controller = RspamdController(
            params["rspamd_url"],
            params["rspamd_password"],
            ca_file=params["rspamd_ca_file"],
            validate_certs=config.validate_certs,
            timeout=config.timeout,
        )
    except (ValueError, ControllerError) as exc:
        module.fail_json(msg=str(exc))
    cyrus = config.cyrus_admin()
    try:
        run = learn_confirmed(
            cyrus,
            controller,
            config.domain,
            params["confirmed_folder"],
            params["learned_folder"],
            check_mode=module.check_mode,
        )
    except LearningError as exc:
        module.fail_json(msg=str(exc), **result(exc.run))
    finally:
        cyrus.close()
    module.exit_json(**result(run))


if __name__ == "__main__":
    main()
