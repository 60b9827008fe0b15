"""danang.mail.password_policy and playbooks/password_policy.yml against the real OBM lab (R-40…R-47).

A small town of three people is reconciled into its own mail domain (its own LDAP subtree and Cyrus
mailboxes) the way the project does it (``ObmSystem``: entries added with ``pwdReset: TRUE``), plus
one account added by hand outside the desired state. Time: ``pwdChangedTime`` is stamped by slapd and
cannot be written (no-user-modification), so passwords are made "old" by judging them at a later
moment: ansible-playbook and its modules run with their clock moved (``clock.at``, tests/clock).
Nothing sleeps.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import imaplib
import io
import json
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

if TYPE_CHECKING:
    from conftest import ObmLab

ldap3 = pytest.importorskip("ldap3")

import clock  # noqa: E402
import obm_city  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import (  # noqa: E402
    accounts,
    plan,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE  # noqa: E402
from lab_city import add_obm_domain, allocate_into, task_result  # noqa: E402
from lab_city import password_for as initial_password  # noqa: E402
from obm_city import lab_config  # noqa: E402

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
VAULT_PASSWORD = "lab-only-vault-password"
AGENCY = """\
abbreviation: ptest
name: Sở Kiểm thử Mật khẩu
mailbox: false
people:
  - {id: CB-T-0001, full_name: Nguyễn Văn An, requested_on: 2026-01-05}
  - {id: CB-T-0002, full_name: Trần Thị Bình, requested_on: 2026-01-05}
  - {id: CB-T-0003, full_name: Lê Văn Cường, requested_on: 2026-01-05}
"""


def own_password(holder: str) -> str:
    return f"Ri3ng-{uuid.uuid5(uuid.NAMESPACE_DNS, holder).hex[:10]}#Q"


@dataclass
class Town:
    lab: ObmLab
    root: Path
    domain: str
    addresses: dict[str, str]  # holder id -> address
    stranger: str

    def dn(self, address: str) -> str:
        return f"uid={address.split('@')[0]},ou=users,dc={self.domain},{self.lab.base_dn}"

    def admin(self):
        server = ldap3.Server(self.lab.ldap_host, port=self.lab.ldap_port, connect_timeout=5)
        return ldap3.Connection(server, self.lab.admin_dn, self.lab.admin_password, auto_bind=True)

    def facts(self, address: str) -> dict[str, Any]:
        conn = self.admin()
        conn.search(
            self.dn(address), "(objectClass=*)", ldap3.BASE, attributes=["pwdReset", "pwdAccountLockedTime"]
        )
        found = {k: v[0].decode() for k, v in conn.response[0]["raw_attributes"].items() if v}
        conn.unbind()
        return found

    def bind(self, address: str, password: str) -> bool:
        server = ldap3.Server(self.lab.ldap_host, port=self.lab.ldap_port, connect_timeout=5)
        conn = ldap3.Connection(server, self.dn(address), password)
        ok = conn.bind()
        conn.unbind()
        return ok

    def imap_ok(self, address: str, password: str) -> bool:
        return obm_city.imap_ok(self.lab, address, password)

    def run(self, *extra: str, now: datetime.datetime | None = None, **variables: Any) -> tuple[str, dict]:
        """playbooks/password_policy.yml on this town; its stdout and the module's result."""
        values = {
            "obm_lab_dir": str(self.lab.lab_dir),
            "danang_mail_domain": self.domain,
            "danang_mail_credentials_dir": str(self.root / "credentials"),
            "danang_mail_password_report_dir": str(self.root / "reports"),
            # OBM alone unless a test adds Exchange (the copied inventory's Exchange password lookup
            # would make a lab secret beside the copy).
            "danang_mail_password_systems": ["obm"],
            "exchange_admin_password": "not used with obm alone",
            **variables,
        }
        (self.root / "vars.json").write_text(json.dumps(values), encoding="utf-8")
        env = dict(
            clock.at(now),  # the whole run, modules included, at ``now`` (tests/clock)
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_CALLBACK_RESULT_FORMAT="json",
        )
        proc = subprocess.run(
            [
                str(ANSIBLE_PLAYBOOK),
                "-i",
                str(self.root / "inventory" / "hosts.yml"),
                str(REPO / "playbooks" / "password_policy.yml"),
                "-e",
                f"@{self.root / 'vars.json'}",
                "--vault-password-file",
                str(self.root / "vault-password"),
                "-v",
                *extra,
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        return proc.stdout, task_result(proc.stdout, "Check every account")


@pytest.fixture
def town(obm_lab: ObmLab, tmp_path: Path):
    domain = f"p{uuid.uuid4().hex[:8]}.{obm_lab.domain}"
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "lab" / "group_vars", inventory / "group_vars")
    shutil.copy(REPO / "inventories" / "lab" / "hosts.yml", inventory / "hosts.yml")
    agencies = inventory / "desired_state" / "agencies"
    agencies.mkdir(parents=True)
    (agencies / "ptest.yml").write_text(AGENCY, encoding="utf-8")
    (tmp_path / "vault-password").write_text(VAULT_PASSWORD + "\n", encoding="utf-8")
    state, book = allocate_into(inventory / "desired_state", domain, datetime.date(2026, 1, 5))

    lab = obm_lab
    conn = ldap3.Connection(
        ldap3.Server(lab.ldap_host, port=lab.ldap_port), lab.admin_dn, lab.admin_password, auto_bind=True
    )
    base = add_obm_domain(conn, domain, lab.base_dn)
    # The project's own path: ObmSystem adds each person with pwdReset TRUE and makes the mailbox.
    desired, problems = accounts.desired_accounts(state, book.holders(), system="obm")
    assert not problems
    with ObmSystem(lab_config(lab, domain)) as backend:
        the_plan = plan.make_plan(desired, backend.read(), backend.render)
        results = backend.apply(
            the_plan.changes, {a.holder_id: initial_password(a.holder_id) for a in desired.values()}
        )
    assert all(r.ok for r in results), results
    # Someone outside the desired state, with a password of their own (no pwdReset).
    stranger = f"khach@{domain}"
    assert conn.add(
        f"uid=khach,ou=users,{base}",
        ["posixAccount", "shadowAccount", "inetOrgPerson", "obmUser"],
        {
            "uid": "khach",
            "cn": "Khách",
            "sn": "Khách",
            "mail": stranger,
            "mailBox": stranger,
            "mailAccess": "PERMIT",
            "obmDomain": domain,
            "uidNumber": "1999",
            "gidNumber": "1000",
            "homeDirectory": "/home/khach",
            "userPassword": own_password("khach"),
        },
    ), conn.result
    conn.unbind()
    yield Town(lab, tmp_path, domain, {a.holder_id: a.address for a in desired.values()}, stranger)

    with contextlib.suppress(Exception):
        imap = imaplib.IMAP4(lab.imap_host, lab.imap_port)
        imap.login(lab.imap_admin, lab.imap_admin_password)
        for address in desired:
            imap.setacl(f'"user/{address}"', lab.imap_admin, "x")
            imap.delete(f'"user/{address}"')
        imap.logout()
    with contextlib.suppress(Exception):
        conn = ldap3.Connection(
            ldap3.Server(lab.ldap_host, port=lab.ldap_port), lab.admin_dn, lab.admin_password, auto_bind=True
        )
        conn.search(base, "(objectClass=*)", attributes=["1.1"])
        for dn in sorted((e["dn"] for e in conn.response), key=len, reverse=True):
            conn.delete(dn)
        conn.unbind()


def test_the_daily_run_on_the_lab(town: Town) -> None:
    an, binh, cuong = (town.addresses[h] for h in ("CB-T-0001", "CB-T-0002", "CB-T-0003"))
    # Bình and Cường change their initial password today; An never does.
    for holder, address in (("CB-T-0002", binh), ("CB-T-0003", cuong)):
        town.lab.simulate_password_change(address, own_password(holder))
    today = datetime.datetime.now(CITY_TIMEZONE).replace(microsecond=0)
    in_4_months, in_7_months = today + datetime.timedelta(days=122), today + datetime.timedelta(days=214)

    def actions(result: dict) -> dict[str, tuple[str, str]]:
        return {row["address"]: (row["action"], row["reason"]) for row in result["accounts"]}

    expected_4 = {
        an: ("lock", "initial_password_unchanged"),
        binh: ("warn", "unchanged_3_months"),
        cuong: ("warn", "unchanged_3_months"),
        town.stranger: ("warn", "unchanged_3_months"),
    }
    # Audit changes nothing, but says what is due.
    _out, audit = town.run(now=in_4_months, danang_mail_password_mode="audit")
    assert audit["changed"] is False and actions(audit) == expected_4
    assert "pwdAccountLockedTime" not in town.facts(an)
    # Check mode with enforce: the same plan, the diff, nothing changed.
    out, preview = town.run("--check", "--diff", now=in_4_months)
    assert preview["changed"] is True and actions(preview) == expected_4
    assert "pwdAccountLockedTime" not in town.facts(an) and town.bind(an, initial_password("CB-T-0001"))

    # Enforce: An is locked and can log in neither over LDAP nor IMAP; the others are warned.
    _out, done = town.run(now=in_4_months)
    assert done["changed"] is True and done["summary"]["lock"] == 1 and done["summary"]["warn"] == 3
    assert town.facts(an)["pwdAccountLockedTime"] == "000001010000Z"
    assert not town.bind(an, initial_password("CB-T-0001"))
    assert not town.imap_ok(an, initial_password("CB-T-0001"))
    assert town.imap_ok(binh, own_password("CB-T-0002")) and "pwdAccountLockedTime" not in town.facts(binh)
    (row,) = done["report"]
    assert row["address"] == an and row["agency"] == "ptest" and row["holder_id"] == "CB-T-0001"
    day = done["now"][:10]
    markdown = (town.root / "reports" / f"password-report-{day}.md").read_text(encoding="utf-8")
    assert an in markdown and "Sở Kiểm thử Mật khẩu (ptest)" in markdown and "Đã khóa" in markdown
    assert "Không đổi mật khẩu mặc định sau 3 ngày làm việc" in markdown and binh not in markdown
    table = list(
        csv.DictReader(
            io.StringIO((town.root / "reports" / f"password-report-{day}.csv").read_text("utf-8-sig"))
        )
    )
    assert [(r["mailbox"], r["reason"], r["since"], r["status"]) for r in table] == [
        (an, "initial_password_unchanged", row["due"], "Đã khóa")
    ]

    # A second enforce run changes nothing.
    out, again = town.run(now=in_4_months)
    assert again["changed"] is False
    assert "ok: [localhost]" in out.split("TASK [Check every account", 1)[1].split("TASK [", 1)[0]

    # Seven months on: Bình's and Cường's passwords are older than 6 months: locked; the stranger
    # (not in the desired state) is reported, never touched.
    _out, later = town.run(now=in_7_months)
    assert actions(later) == {
        an: ("locked", "initial_password_unchanged"),
        binh: ("lock", "unchanged_6_months"),
        cuong: ("lock", "unchanged_6_months"),
        town.stranger: ("report", "unchanged_6_months"),
    }
    assert not town.bind(binh, own_password("CB-T-0002")) and town.bind(town.stranger, own_password("khach"))
    assert {r["address"] for r in later["report"]} == {an, binh, cuong, town.stranger}

    # A reset (today) unlocks An with a new password that must be changed at the next login.
    out, reset = town.run(danang_mail_password_resets=["CB-T-0001"])
    assert reset["changed"] is True and reset["credentials_issued"] == ["CB-T-0001"]
    from ansible.parsing.vault import VaultLib, VaultSecret

    vault = VaultLib([("default", VaultSecret(VAULT_PASSWORD.encode()))])
    issued = yaml.safe_load(vault.decrypt(Path(reset["credentials_file"]).read_bytes()))
    entry = issued["CB-T-0001"]
    assert entry["address"] == an and entry["systems"] == ["obm"] and entry["reset"] is True
    new = entry["password"]
    assert new not in out and new not in json.dumps(reset)
    assert town.facts(an) == {"pwdReset": "TRUE"}  # unlocked, forced change
    server = ldap3.Server(town.lab.ldap_host, port=town.lab.ldap_port)
    user = ldap3.Connection(server, town.dn(an), new, auto_bind=True)
    assert not user.search(town.dn(an), "(objectClass=*)", ldap3.BASE)  # may only change its password
    user.unbind()
    town.lab.simulate_password_change(an, own_password("CB-T-0001"))
    assert town.imap_ok(an, own_password("CB-T-0001")) and town.facts(an) == {}
    # Today nothing is due for An any more; the locks of Bình and Cường stay (reset to lift them).
    _out, after = town.run()
    assert after["changed"] is False and an not in actions(after)
    assert actions(after)[binh] == ("locked", None)


def test_the_role_keeps_the_default_policy(obm_lab: ObmLab) -> None:
    """ppolicy numbers as documented; a value changed by hand is brought back by the role; locks
    only bind because pwdLockout is TRUE (slapo-ppolicy(5))."""
    defaults = yaml.safe_load(
        (REPO / "collections/ansible_collections/danang/mail/roles/obm_server/defaults/main.yml").read_text(
            "utf-8"
        )
    )["obm_server_ppolicy"]
    assert (
        defaults["pwdMinLength"] == 12
        and defaults["pwdMustChange"] == "TRUE"
        and defaults["pwdLockout"] == "TRUE"
    )
    assert defaults["pwdMaxAge"] == 184 * 86400 and defaults["pwdExpireWarning"] == 92 * 86400
    server = ldap3.Server(obm_lab.ldap_host, port=obm_lab.ldap_port)
    conn = ldap3.Connection(server, obm_lab.admin_dn, obm_lab.admin_password, auto_bind=True)
    policy = f"cn=default,ou=policies,{obm_lab.base_dn}"
    assert conn.modify(policy, {"pwdMinLength": [(ldap3.MODIFY_REPLACE, ["8"])]}), conn.result
    conn.unbind()
    run = obm_lab.run_playbook("lab_up.yml", "--tags", "obm")  # the policy is the OBM role's
    assert run.recap.get("changed", 0) >= 1
    conn = ldap3.Connection(server, obm_lab.admin_dn, obm_lab.admin_password, auto_bind=True)
    conn.search(policy, "(objectClass=*)", ldap3.BASE, attributes=list(defaults))
    found = {k: v[0].decode() for k, v in conn.response[0]["raw_attributes"].items()}
    conn.unbind()
    assert found == {k: str(v) for k, v in defaults.items()}  # idempotence: test_obm_lab.py
