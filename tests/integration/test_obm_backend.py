"""The OBM backend and danang.mail.mailbox against the real lab: what is OBM's own (its directory
layout, Cyrus, saslauthd and ppolicy, its failures). What every system promises is proved once for
both labs in ``test_backend_contract.py``.

Every test reconciles its own copy of the lab city into its own mail domain (``obm_city.city``).
"""

from __future__ import annotations

import imaplib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ldap3 = pytest.importorskip("ldap3")

import obm_city  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.apply import ObmWriter  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem  # noqa: E402
from lab_systems import obm_params  # noqa: E402
from lab_systems import run_adhoc as run_module_adhoc  # noqa: E402
from obm_city import (  # noqa: E402
    FOLDERS,
    City,
    cyrus_admin,
    entries,
    ldap_admin,
    mailboxes,
    obm_lab_ctl,
    password_for,
    wait_lab_port,
)

pytestmark = pytest.mark.integration
city = obm_city.city  # the fixture

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
SCOPE = ("stttt",)  # the agency of the persons a test looks at: a smaller town is faster


# --- the backend ---------------------------------------------------------------------------------
def test_entries_and_mailboxes_are_laid_out_as_obm_does(city: City) -> None:
    """The rendered attributes as real OBM lays them out (the contract checks they are what render
    says); names that carry apostrophes arrive as literal data."""
    _plan, results, _backend = city.reconcile(scope=SCOPE)
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    found = entries(city.lab, city.domain)
    dung = found[city.address("CB-2017-000101")]
    assert dung["dn"] == f"uid={city.address('CB-2017-000101').split('@')[0]},ou=users,{city.domain_dn}"
    assert {c.lower() for c in dung["objectClass"]} >= {
        "posixaccount",
        "shadowaccount",
        "inetorgperson",
        "obmuser",
    }
    assert (
        dung["cn"] == ["Nguyễn Văn Dũng"] and dung["sn"] == ["Nguyễn Văn"] and dung["givenName"] == ["Dũng"]
    )
    assert dung["mailAccess"] == "PERMIT" and dung["hiddenUser"] is False
    assert dung["gidNumber"] == 1000 and dung["uidNumber"] >= 1001
    assert dung["pwdReset"] is True
    assert dung["userPassword"][0].startswith(b"{SSHA}")  # hashed by ppolicy, never stored in clear
    uids = [e["uidNumber"] for e in found.values() if "uidNumber" in e]
    assert len(uids) == len(set(uids))

    agency = found[city.address("agency/stttt")]
    assert agency["dn"] == f"cn=stttt,ou=mailShare,{city.domain_dn}"
    assert agency["mailBox"] == [f"+stttt@{city.domain}"]
    assert agency["description"] == ["Sở Thông tin và Truyền thông"]

    names = mailboxes(city.lab, city.domain)
    login = city.address("CB-2017-000101").split("@")[0]
    assert f"user/{login}@{city.domain}" in names
    assert {f"user/{login}/{f}@{city.domain}" for f in FOLDERS} <= names
    assert f"stttt@{city.domain}" in names
    imap = cyrus_admin(city.lab)
    assert b"STORAGE 0 2097152" in imap.getquota(f'"user/{login}@{city.domain}"')[1][0]  # R-30, KB
    acl = imap.getacl(f'"stttt@{city.domain}"')[1][0].decode()
    imap.logout()
    rights = acl.split()[1:]
    assert dict(zip(rights[0::2], rights[1::2], strict=True))["anyone"] == "p"  # post only

    disabled = found[city.address("CB-2019-000318")]
    assert disabled["mailAccess"] == "REJECT"

    address = city.address("CB-2018-000212")  # H'Maryam Niê
    entry = found[address]
    assert entry["cn"] == ["H'Maryam Niê"] and entry["givenName"] == ["H'Maryam"] and entry["sn"] == ["Niê"]
    # the apostrophe survives a filter built with ldap3's escaping
    from ldap3.utils.conv import escape_filter_chars

    conn = ldap_admin(city.lab)
    assert conn.search(city.domain_dn, f"(cn={escape_filter_chars(entry['cn'][0])})", attributes=["mail"])
    assert [e["attributes"]["mail"][0] for e in conn.response] == [address]
    conn.unbind()


def test_read_is_one_bulk_pass(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed number of round trips whatever the number of accounts (speed itself: the benchmark)."""
    from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import CyrusAdmin

    city.reconcile()
    calls = {"pipeline": 0, "search": 0}
    pipeline, search = CyrusAdmin.pipeline, ldap3.Connection.search

    def counted_pipeline(self: CyrusAdmin, commands: Any) -> Any:
        calls["pipeline"] += 1
        return pipeline(self, commands)

    def counted_search(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls["search"] += 1
        return search(self, *args, **kwargs)

    monkeypatch.setattr(CyrusAdmin, "pipeline", counted_pipeline)
    monkeypatch.setattr(ldap3.Connection, "search", counted_search)
    with ObmSystem(city.config()) as backend:
        observed = backend.read()
    assert len(observed) >= 50
    # one paged search (one page here); two LISTs in one pipeline, then GETQUOTA + GETACL in one
    assert calls == {"pipeline": 2, "search": 1}


def test_new_person_gets_into_imap_only_after_the_first_change(city: City) -> None:
    city.reconcile(scope=SCOPE)
    address = city.address("CB-2017-000103")
    password = password_for("CB-2017-000103")
    # saslauthd's filter skips entries with pwdReset (the role's default), so IMAP refuses
    # the initial password; the LDAP bind succeeds but the session may only change its password.
    with pytest.raises(imaplib.IMAP4.error):
        imaplib.IMAP4(city.lab.imap_host, city.lab.imap_port).login(address, password)
    dn = entries(city.lab, city.domain)[address]["dn"]
    server = ldap3.Server(city.lab.ldap_host, port=city.lab.ldap_port, get_info=ldap3.NONE)
    user = ldap3.Connection(server, dn, password, auto_bind=True)
    assert not user.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["mail"])
    assert user.result["description"] == "insufficientAccessRights"  # only a change is allowed
    user.unbind()
    with ObmSystem(city.config()) as backend:
        backend.read()
        first_login = backend.facts[address]
    assert first_login.must_change_password is True
    assert first_login.last_login  # the bind stamped pwdLastSuccess

    city.lab.simulate_password_change(address, "Doi-moi#2026xyz")  # the holder, on the page
    with ObmSystem(city.config()) as backend:
        backend.read()
        after_change = backend.facts[address]
    assert after_change.must_change_password is False  # the change cleared pwdReset
    # Measured: ppolicy's password change also removes pwdLastSuccess; pwdChangedTime is the last
    # access then, which last_access (the later of the two) reports.
    assert after_change.last_login is None
    assert after_change.last_access == after_change.password_changed
    imap = imaplib.IMAP4(city.lab.imap_host, city.lab.imap_port)
    imap.login(address, "Doi-moi#2026xyz")
    typ, folders = imap.list()
    imap.logout()
    assert typ == "OK" and {line.decode().rsplit(" ", 1)[-1].strip('"') for line in folders} >= FOLDERS
    with ObmSystem(city.config()) as backend:
        backend.read()
        assert backend.facts[address].last_login  # pwdLastSuccess again
        assert backend.facts[address].last_access == backend.facts[address].last_login


def test_disabled_account_cannot_log_in_and_keeps_its_mail(city: City) -> None:
    city.reconcile(scope=SCOPE)
    address = city.address("CB-2017-000105")
    password = password_for("CB-2017-000105")
    city.lab.simulate_password_change(address)  # IMAP needs the holder's first change
    imap = imaplib.IMAP4(city.lab.imap_host, city.lab.imap_port)
    imap.login(address, password)
    assert imap.append("INBOX", None, None, b"Subject: giu lai\r\n\r\nThu can giu.\r\n")[0] == "OK"
    imap.logout()

    city.set_state("stttt", "CB-2017-000105", "disabled")
    the_plan, results, _ = city.reconcile(scope=SCOPE)
    assert [(c.action, c.address) for c in the_plan.changes] == [("disable", address)]
    assert all(r.ok for r in results)
    with pytest.raises(imaplib.IMAP4.error):
        imaplib.IMAP4(city.lab.imap_host, city.lab.imap_port).login(address, password)

    city.set_state("stttt", "CB-2017-000105", "active")
    the_plan, results, _ = city.reconcile(scope=SCOPE)
    assert [c.action for c in the_plan.changes] == ["enable"]
    imap = imaplib.IMAP4(city.lab.imap_host, city.lab.imap_port)
    imap.login(address, password)
    assert imap.select("INBOX")[1] == [b"1"]  # the mail was kept
    imap.logout()


def test_cyrus_refuses_an_append_over_quota(city: City) -> None:
    city.reconcile(scope=SCOPE)
    address = city.address("CB-2018-000211")
    with ObmSystem(city.config()) as backend:
        backend.read()
        assert all(r.ok for r in backend.set_quotas({address: 1}))  # 1 MB = 1024 KB
    city.lab.simulate_password_change(address)  # IMAP needs the holder's first change
    imap = imaplib.IMAP4(city.lab.imap_host, city.lab.imap_port)
    imap.login(address, password_for("CB-2018-000211"))
    big = b"Subject: qua han muc\r\n\r\n" + b"x" * (2 * 1024 * 1024) + b"\r\n"
    typ, data = imap.append("INBOX", None, None, big)
    imap.logout()
    assert typ == "NO" and b"OVERQUOTA" in data[0].upper().replace(b" ", b"")


def test_cyrus_stopping_mid_run_leaves_accounts_done_or_untouched(city: City) -> None:
    """Cyrus dies after the first batch: later accounts are not half-made; a re-run finishes."""
    original = ObmWriter.run_batch
    calls = {"n": 0}

    def run_batch(self: ObmWriter, batch: list) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            obm_lab_ctl(city.lab, "stop", "cyrus")
        original(self, batch)

    try:
        ObmWriter.run_batch = run_batch  # type: ignore[method-assign]
        _plan, results, _ = city.reconcile(batch_size=10)
    finally:
        ObmWriter.run_batch = original  # type: ignore[method-assign]
        obm_lab_ctl(city.lab, "start", "cyrus")
        wait_lab_port(city.lab, city.lab.imap_port)
    done = [r for r in results if r.ok]
    failed = [r for r in results if not r.ok]
    assert len(done) == 10 and failed
    found = entries(city.lab, city.domain)
    names = mailboxes(city.lab, city.domain)
    for r in failed:  # untouched: no entry, no mailbox made by this run
        assert r.address not in found, r
    for r in done:
        assert r.address in found
    print(f"\nfirst failure: {failed[0].error}\nlast failure: {failed[-1].error}")

    again, results, _ = city.reconcile()
    assert {c.address for c in again.changes} == {r.address for r in failed}
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert city.reconcile()[0].changes == ()
    found = entries(city.lab, city.domain)
    uids = [e["uidNumber"] for e in found.values() if "uidNumber" in e]
    assert len(uids) == len(set(uids))  # nothing created twice
    assert len(mailboxes(city.lab, city.domain)) >= len(names)


def test_half_made_mailboxes_are_seen_and_finished(city: City) -> None:
    """No completion marker: the read itself sees a missing folder or a missing ACL
    (what a failure between apply's steps leaves behind) and the next run finishes the mailbox."""
    city.reconcile(scope=SCOPE)
    person, other = city.address("CB-2017-000101"), city.address("CB-2017-000102")
    login, other_login = person.split("@")[0], other.split("@")[0]
    imap = cyrus_admin(city.lab)
    templates = f'"user/{login}/Templates@{city.domain}"'
    assert imap.setacl(templates, city.lab.imap_admin, "x")[0] == "OK"  # Cyrus: no DELETE without "x"
    assert imap.delete(templates)[0] == "OK"
    assert imap.deleteacl(f'"user/{other_login}@{city.domain}"', "anyone")[0] == "OK"
    assert imap.deleteacl(f'"stttt@{city.domain}"', "anyone")[0] == "OK"
    imap.logout()

    again, results, _ = city.reconcile(scope=SCOPE)
    assert {(c.action, c.address, tuple(c.after)) for c in again.changes} == {
        ("update", person, ("cyrus_mailbox",)),
        ("update", other, ("cyrus_mailbox",)),
        ("update", city.address("agency/stttt"), ("cyrus_mailbox",)),
    }
    assert all(r.ok for r in results), results
    assert f"user/{login}/Templates@{city.domain}" in mailboxes(city.lab, city.domain)
    imap = cyrus_admin(city.lab)
    assert "anyone p" in imap.getacl(f'"user/{other_login}@{city.domain}"')[1][0].decode()
    imap.logout()
    assert city.reconcile(scope=SCOPE)[0].changes == ()


def test_unreachable_servers_are_reported_before_anything_changes(city: City) -> None:
    from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError

    with pytest.raises(BackendError, match=r"LDAP ldap://127\.0\.0\.1:9: cannot connect"):
        ObmSystem(ObmConfig(**{**city.config().__dict__, "ldap_uri": "ldap://127.0.0.1:9"})).read()
    with pytest.raises(BackendError, match=r"IMAP 127\.0\.0\.1:9: cannot connect"):
        ObmSystem(ObmConfig(**{**city.config().__dict__, "imap_port": 9})).read()
    with pytest.raises(BackendError, match="refused: invalidCredentials"):
        ObmSystem(ObmConfig(**{**city.config().__dict__, "ldap_bind_password": "wrong"})).read()
    assert entries(city.lab, city.domain) == {}


# --- the module, as Ansible runs it ------------------------------------------------------------------
PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Reconcile
      danang.mail.mailbox:
        desired_state: "{{ ds }}"
        ledger: "{{ ds }}/ledger.yml"
        domain: "{{ domain }}"
        purge: "{{ purge | default(false) }}"
        ldap_uri: "{{ ldap_uri }}"
        ldap_bind_password: "{{ ldap_pw }}"
        imap_host: 127.0.0.1
        imap_port: "{{ imap_port }}"
        imap_admin_password: "{{ imap_pw }}"
        ca_file: "{{ ca_file }}"
        mailbox_server: "{{ mailbox_server }}"
        known_passwords: "{{ known }}"
        credentials_file: "{{ credentials }}"
      register: reconciled
    - name: Keep the result for the test
      ansible.builtin.copy:
        content: "{{ reconciled | to_json }}"
        dest: "{{ out }}"
        mode: "0600"
      check_mode: false
      diff: false
"""


def run_module(city: City, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    playbook = tmp_path / "reconcile.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    out = tmp_path / "result.json"
    out.unlink(missing_ok=True)
    lab = city.lab
    known = {a.holder_id: password_for(a.holder_id) for a in city.accounts().values() if not a.shared}
    variables = {
        "ds": str(city.desired),
        "domain": city.domain,
        "ldap_uri": f"ldap://{lab.ldap_host}:{lab.ldap_port}",
        "ldap_pw": lab.admin_password,
        "imap_port": lab.imap_port,
        "imap_pw": lab.imap_admin_password,
        "ca_file": lab.ca_file,
        "mailbox_server": f"lmtp:{lab.imap_host}:{lab.lmtp_port}",
        "known": known,
        "out": str(out),
        "credentials": str(tmp_path / "credentials.vault.yml"),
    }
    vault_password = tmp_path / "vault-password"
    vault_password.write_text("lab-only-vault-password\n", encoding="utf-8")
    (tmp_path / "vars.json").write_text(json.dumps(variables), encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(playbook),
            "-e",
            f"@{tmp_path / 'vars.json'}",
            "-e",
            f"ansible_python_interpreter={sys.executable}",
            "--vault-password-file",
            str(vault_password),
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-3000:]
    return proc, json.loads(out.read_text(encoding="utf-8"))


def test_module_check_mode_then_apply_then_nothing(city: City, tmp_path: Path) -> None:
    proc, result = run_module(city, tmp_path, "--check", "--diff")
    assert result["changed"] is True
    assert result["summary"]["create"] > 50
    assert {row["action"] for row in result["plan"]} == {"create"}
    assert "results" not in result
    assert entries(city.lab, city.domain) == {}  # check mode changed nothing
    assert "Kt-" not in proc.stdout  # no password in the diff or the output

    proc, result = run_module(city, tmp_path, "--diff")
    assert result["changed"] is True
    assert result["summary"]["failed"] == 0 and result["summary"]["ok"] == result["summary"]["create"]
    assert all(r["ok"] for r in result["results"])
    # the action plugin took the passwords out of the result and into the vault file
    assert "_initial_credentials" not in result
    assert "Kt-" not in proc.stdout and "Kt-" not in json.dumps(result)
    from ansible.parsing.vault import VaultLib, VaultSecret

    vault = VaultLib([("default", VaultSecret(b"lab-only-vault-password"))])
    issued = yaml.safe_load(vault.decrypt((tmp_path / "credentials.vault.yml").read_bytes()))
    persons = [r for r in result["results"] if r["kind"] == "person" and r["action"] == "create"]
    assert len(issued) == len(persons)
    assert all(issued[h]["password"] == password_for(h) for h in issued)  # the known ones: one per person
    assert len(entries(city.lab, city.domain)) == result["summary"]["create"]

    proc, result = run_module(city, tmp_path)
    assert result["changed"] is False and result["plan"] == []
    reconcile_task = proc.stdout.split("TASK [Reconcile]", 1)[1].split("TASK [", 1)[0]
    assert "ok: [localhost]" in reconcile_task and "changed: [localhost]" not in reconcile_task


def run_adhoc(city: City, module: str, args: dict[str, Any], *extra: str) -> dict[str, Any]:
    """``ansible localhost -m danang.mail.<module>`` with the town's OBM options; its JSON result."""
    return run_module_adhoc(obm_params(city), module, args, *extra)


def test_quota_and_mailbox_info_modules(city: City) -> None:
    city.reconcile()
    address = city.address("CB-2017-000101")
    preview = run_adhoc(city, "quota", {"addresses": [address], "quota_mb": 512}, "--check")
    assert preview["changed"] is True and preview["accounts"][0]["changed"] is True
    assert run_adhoc(city, "mailbox_info", {"addresses": [address]})["accounts"][address]["quota_mb"] == 2048
    done = run_adhoc(city, "quota", {"addresses": [address], "quota_mb": 512})
    assert done["changed"] is True and done["accounts"][0]["quota_mb"] == 512
    assert run_adhoc(city, "quota", {"addresses": [address], "quota_mb": 512})["changed"] is False
    every = run_adhoc(city, "quota", {"account_class": "all"})  # back to R-30's 2 GB
    assert every["changed"] is True and [r["address"] for r in every["accounts"] if r["changed"]] == [address]
    facts = run_adhoc(city, "mailbox_info", {})
    assert facts["summary"]["accounts"] == len(entries(city.lab, city.domain))
    assert facts["accounts"][address]["quota_mb"] == 2048 and facts["accounts"][address]["exists"] is True
    disabled = facts["accounts"][city.address("CB-2019-000318")]
    assert disabled["enabled"] is False and disabled["mailbox"] is True
