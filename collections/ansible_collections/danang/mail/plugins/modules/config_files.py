#!/usr/bin/python
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


from __future__ import annotations

DOCUMENTATION = r"""
---
module: config_files
short_description: Set several configuration directories and files in one task
version_added: 0.1.0
description:
  - Creates the O(directories) that are missing and writes the O(files) whose content differs, then
    brings back the owner, group and mode of each where they differ - what a loop of
    M(ansible.builtin.file) and M(ansible.builtin.template) tasks does, in one module process
    instead of one or two per item (the danang.mail.obm_server role writes about thirty files and
    directories on every run).
  - A file is replaced atomically, with its owner, group and mode set before the rename. A symbolic
    link at a file's path is replaced by the file, not followed.
  - Every owner and group is looked up before anything changes; a missing one fails the task.
  - Render file contents with the C(ansible.builtin.template) lookup. Runs
    on the host whose files it sets (in the roles of this collection, the OBM server); pure Python
    standard library.
author:
  - Da Nang city IT infrastructure centre (@danang)
extends_documentation_fragment:
  - danang.mail.attributes
options:
  directories:
    description: Directories (absolute paths), created in this order (a parent before its children).
    type: list
    elements: path
    default: []
  files:
    description:
      - Files, as absolute path to the whole content (UTF-8), written after the directories; each
        file's directory must exist.
      - Set C(no_log) and C(diff) false on the task when a content holds a secret.
    type: dict
    default: {}
  owner:
    description: The user that owns every directory and file of the task.
    type: str
    required: true
  group:
    description: Their group.
    type: str
    required: true
  mode:
    description: Their mode, an octal string such as V('0750') (an unquoted YAML 0750 would be decimal).
    type: str
    required: true
attributes:
  check_mode:
    support: full
    details: Reports what would be created or written and changes nothing.
  diff_mode:
    support: full
    details: >-
      Per file the content before and after; per directory or file whose owner, group or mode
      differs, those before and after.
  idempotent:
    support: full
seealso:
  - module: ansible.builtin.template
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: The Cyrus directories
  danang.mail.config_files:
    directories: [/var/lib/cyrus, /var/lib/cyrus/db, /var/spool/cyrus/mail]
    owner: cyrus
    group: mail
    mode: "0750"

- name: Configure rspamd (local.d), one file per template
  danang.mail.config_files:
    files: "{{ dict(paths | zip(query('ansible.builtin.template', *templates))) }}"
    owner: root
    group: _rspamd
    mode: "0640"
  vars:
    templates: [options.inc.j2, actions.conf.j2]
    paths: [/etc/rspamd/local.d/options.inc, /etc/rspamd/local.d/actions.conf]
"""

RETURN = r"""
changed_paths:
  description: >-
    The directories and files created, written, or given another owner, group or mode (or that
    would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [/etc/rspamd/local.d/actions.conf]
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.danang.mail.plugins.module_utils.config_files import ConfigFilesError, apply, entries

ARGUMENT_SPEC: dict[str, Any] = {
    "directories": {"type": "list", "elements": "path", "default": []},
    "files": {"type": "dict", "default": {}},
    "owner": {"type": "str", "required": True},
    "group": {"type": "str", "required": True},
    "mode": {"type": "str", "required": True},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        params = module.params
        directories, files = entries(
            params["directories"], params["files"], params["owner"], params["group"], params["mode"]
        )
        outcome = apply(directories, files, module.check_mode)
    except (ConfigFilesError, OSError) as exc:
        module.fail_json(msg=str(exc))
    result: dict[str, Any] = {"changed": bool(outcome.changed), "changed_paths": outcome.changed}
    if module._diff:
        result["diff"] = outcome.diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
