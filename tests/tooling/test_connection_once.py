"""The inventories' connection settings reach every module once, under the modules' own option names.

- meta/runtime.yml's action groups hold exactly the modules that take each backend's options, so
  ``module_defaults`` for ``group/danang.mail.obm`` / ``group/danang.mail.exchange`` never hands a
  module an option it does not know;
- the two inventories name each setting as the module option it feeds (keys of the connection
  dictionaries = option names), and no playbook, role or molecule task spells a connection option;
- a playbook with those ``module_defaults`` runs a module of both groups with either backend: the
  options of the other backend are present and ignored (run against closed loopback ports).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import config as exchange_config
from ansible_collections.danang.mail.plugins.module_utils.backends.obm import config as obm_config

REPO = Path(__file__).resolve().parents[2]
COLLECTION = REPO / "collections/ansible_collections/danang/mail"
OBM_OPTIONS = set(obm_config.ARGUMENT_SPEC)
EXCHANGE_OPTIONS = set(exchange_config.ARGUMENT_SPEC)
CONNECTION = (OBM_OPTIONS | EXCHANGE_OPTIONS) - {"domain"}


def load(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def action_groups() -> dict[str, list]:
    return load(COLLECTION / "meta/runtime.yml")["action_groups"]  # type: ignore[index]


def module_options(name: str) -> set[str]:
    """The options a module accepts, from its ARGUMENT_SPEC (the modules are importable)."""
    module = __import__(f"ansible_collections.danang.mail.plugins.modules.{name}", fromlist=["ARGUMENT_SPEC"])
    return set(module.ARGUMENT_SPEC)


def test_every_module_of_a_group_takes_all_of_that_groups_options():
    groups = action_groups()
    assert {"obm", "exchange", "all"} <= set(groups)
    assert groups["all"] == [{"metadata": {"extend_group": ["danang.mail.obm", "danang.mail.exchange"]}}]
    for name in groups["obm"]:
        assert module_options(name) >= OBM_OPTIONS, name
    for name in groups["exchange"]:
        assert module_options(name) >= EXCHANGE_OPTIONS, name
    # The two sets never share a name but the mail domain, so both can be present at once.
    assert not OBM_OPTIONS & EXCHANGE_OPTIONS


def test_the_inventories_name_each_setting_as_the_option_it_feeds():
    for env in ("lab", "production"):
        facts: dict = {}
        for path in sorted((REPO / "inventories" / env / "group_vars/all").glob("*.yml")):
            facts.update(load(path) or {})  # type: ignore[arg-type]
        assert set(facts["danang_mail_obm_connection"]) <= OBM_OPTIONS, env
        assert set(facts["danang_mail_exchange_connection"]) <= EXCHANGE_OPTIONS, env
        # The old re-spelled names are gone (exchange_psrp_auth -> exchange_auth, ...).
        assert not {"exchange_psrp_auth", "obm_ldap_uri", "exchange_ad_bind_user"} & set(facts), env


def tasks_of(node: object):
    if isinstance(node, list):
        for item in node:
            yield from tasks_of(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key.startswith("danang.mail.") and isinstance(value, dict):
                yield key, value
            elif key in ("tasks", "pre_tasks", "post_tasks", "block", "rescue", "always"):
                yield from tasks_of(value)


def test_no_task_spells_a_connection_option():
    files = [
        *(REPO / "playbooks").glob("*.yml"),
        *(REPO / "molecule/obm").glob("*.yml"),
        *(COLLECTION / "roles").glob("*/tasks/*.yml"),
    ]
    spelled = {
        f"{path.relative_to(REPO)}: {module} {sorted(set(args) & CONNECTION)}"
        for path in files
        for module, args in tasks_of(load(path))
        if set(args) & CONNECTION
    }
    assert not spelled


PLAY = """
- name: Both groups' defaults on a module of both groups
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/danang.mail.all:
      domain: danang.gov.vn
    group/danang.mail.obm:
      ldap_uri: ldap://127.0.0.1:9
      ldap_bind_password: x
      imap_admin_password: x
      ldap_starttls: false
    group/danang.mail.exchange:
      exchange_server: 127.0.0.1
      exchange_port: 9
      ad_uri: ldap://127.0.0.1:9
      exchange_username: a@danang.gov.vn
      exchange_password: x
  tasks:
    - name: OBM
      danang.mail.addresses_in_use:
        backend: obm
      register: obm
      ignore_errors: true
    - name: Exchange
      danang.mail.addresses_in_use:
        backend: exchange
      register: exchange
      ignore_errors: true
    - name: Each reached its own system with the defaults (no option refused)
      ansible.builtin.assert:
        that:
          - obm.msg is search('127.0.0.1:9')
          - exchange.msg is search('127.0.0.1:9')
          - obm.msg is not search('Unsupported parameters|missing required')
          - exchange.msg is not search('Unsupported parameters|missing required')
"""


def test_module_defaults_of_both_groups_reach_a_module_with_either_backend(tmp_path: Path):
    (tmp_path / "play.yml").write_text(PLAY, encoding="utf-8")
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    playbook = Path(sys.executable).parent / "ansible-playbook"
    interpreter = f"ansible_python_interpreter={sys.executable}"
    proc = subprocess.run(
        [str(playbook), "-i", "localhost,", "-c", "local", "-e", interpreter, str(tmp_path / "play.yml")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
