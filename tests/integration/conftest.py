"""The local labs for integration tests: OBM, and the tests' own Exchange lab.

``obm_lab`` brings the lab up once per test session by running ``lab/lab_up.yml`` from the
project's venv (the role obm_lab, which runs danang.mail.obm_server), then hands the tests the lab's
connection facts: the literal values of ``inventories/lab/group_vars/all/obm.yml`` and the
lab-only passwords generated into ``.lab/obm/secrets/``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import ldap3
import pytest
import yaml
from ldap3.utils.conv import escape_filter_chars

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
LAB_INVENTORY = REPO / "inventories" / "lab" / "hosts.yml"
LAB_VARS = REPO / "inventories" / "lab" / "group_vars" / "all" / "obm.yml"
LAB_DIR = REPO / ".lab" / "obm"
PLAYBOOK_DIRS = (REPO / "playbooks", REPO / "lab")
RECAP = re.compile(r"^localhost\s+:\s+(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class PlaybookRun:
    proc: subprocess.CompletedProcess[str]
    recap: dict[str, int]


def run_lab_playbook(name: str, *extra: str, timeout: int = 1800) -> PlaybookRun:
    """Run playbooks/<name> (or lab/<name>, the labs' up and down) on the lab inventory; fail with its
    output when it fails."""
    playbook = next((d / name for d in PLAYBOOK_DIRS if (d / name).exists()), REPO / "playbooks" / name)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(LAB_INVENTORY), str(playbook), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    match = RECAP.search(proc.stdout)
    recap = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))} if match else {}
    if proc.returncode != 0:
        pytest.fail(f"{name} failed (rc={proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return PlaybookRun(proc, recap)


@dataclass(frozen=True)
class ObmLab:
    domain: str
    ldap_host: str
    ldap_port: int
    base_dn: str
    users_dn: str
    admin_dn: str
    admin_password: str
    reader_dn: str
    reader_password: str
    # The self-service page's identity: the only one that writes people's passwords.
    portal_dn: str
    portal_password: str
    imap_host: str
    imap_port: int
    imap_admin: str
    imap_admin_password: str
    lmtp_port: int
    smtp_host: str
    smtp_port: int
    sieve_port: int
    message_size_limit: int
    lab_dir: Path
    first_run: PlaybookRun

    @property
    def ca_file(self) -> str:
        """The lab CA the role made: the modules reach slapd and Cyrus over STARTTLS checked against it."""
        return str(self.lab_dir / "tls" / "ca.crt")

    @staticmethod
    def run_playbook(name: str, *extra: str) -> PlaybookRun:
        return run_lab_playbook(name, *extra)

    def unique_login(self, prefix: str = "t") -> str:
        return f"{prefix}{uuid.uuid4().hex[:10]}"

    def simulate_password_change(self, address: str, password: str | None = None) -> None:
        """What the holder's own change on the self-service page leaves on the entry of ``address``:
        no ``pwdReset`` (R-40), so saslauthd lets IMAP and ManageSieve in again, and ``password``
        when given. The administrator does it here, as the Exchange lab's control does for AD: a
        person may no longer write their own password (the role's ACL, R-42)."""
        server = ldap3.Server(self.ldap_host, port=self.ldap_port, connect_timeout=5)
        with ldap3.Connection(server, self.admin_dn, self.admin_password, auto_bind=True) as conn:
            conn.search(self.base_dn, f"(mail={escape_filter_chars(address)})", attributes=["1.1"])
            (found,) = conn.response
            dn = found["dn"]
            if password is not None:  # an administrator's change sets pwdReset (pwdMustChange TRUE)
                assert conn.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [password])]}), conn.result
            assert conn.modify(dn, {"pwdReset": [(ldap3.MODIFY_REPLACE, [])]}), conn.result


def _secret(name: str) -> str:
    return (LAB_DIR / "secrets" / name).read_text(encoding="utf-8").split()[0]


@pytest.fixture(scope="session")
def obm_lab() -> ObmLab:
    if os.geteuid() != 0:
        pytest.skip("the OBM lab installs Debian packages and runs daemons as their users: run as root")
    first = run_lab_playbook("lab_up.yml", "--tags", "obm")
    facts = yaml.safe_load(LAB_VARS.read_text(encoding="utf-8"))
    defaults = yaml.safe_load(
        (REPO / "collections/ansible_collections/danang/mail/roles/obm_server/defaults/main.yml").read_text(
            encoding="utf-8"
        )
    )
    domain = facts["obm_mail_domain"]
    base_dn = facts["obm_ldap_base_dn"]
    return ObmLab(
        domain=domain,
        ldap_host=facts["obm_ldap_host"],
        ldap_port=int(facts["obm_ldap_port"]),
        base_dn=base_dn,
        users_dn=f"ou=users,dc={domain},{base_dn}",
        admin_dn=facts["obm_ldap_admin_dn"],
        admin_password=_secret("ldapadmin"),
        reader_dn=facts["obm_ldap_reader_dn"],
        reader_password=_secret("mailreader"),
        portal_dn=facts["obm_ldap_portal_dn"],
        portal_password=_secret("password-portal"),
        imap_host=facts["obm_imap_host"],
        imap_port=int(facts["obm_imap_port"]),
        imap_admin=facts["obm_imap_admin"],
        imap_admin_password=_secret("cyrus"),
        lmtp_port=int(facts["obm_lmtp_port"]),
        smtp_host=facts["obm_smtp_host"],
        smtp_port=int(facts["obm_smtp_port"]),
        sieve_port=int(facts["obm_sieve_port"]),
        message_size_limit=int(defaults["obm_server_message_size_limit"]),
        lab_dir=LAB_DIR.resolve(),  # the lab's real directory: .lab/obm is a link to it
        first_run=first,
    )


# -- The Exchange lab: AD stand-in + PSRP/EWS server, lab/exchange_lab/README.md ----------
EXCHANGE_VARS = REPO / "inventories" / "lab" / "group_vars" / "all" / "exchange.yml"
# The tests' own Exchange lab, fresh for each session: aliases are organisation-wide in Exchange, so
# the lab city that `make lab` reconciled would hold the test towns' aliases ("annv" is already
# being used); and the session never stops or changes the operator's lab.
EXCHANGE_NAME = "exchange-tests"
EXCHANGE_DIR = REPO / ".lab" / EXCHANGE_NAME
EXCHANGE_PORTS = {
    "exchange_port": 25985,
    "exchange_https_port": 25986,
    "exchange_kdc_port": 20088,
    "exchange_ad_port": 23390,
}
# The Exchange lab's ports belong to one worktree at a time (the shared-machine rule).
EXCHANGE_LOCK = Path("/tmp/danang-exlab.lock")


@dataclass(frozen=True)
class ExchangeLab:
    host: str
    port: int
    path: str
    configuration: str
    admin_upn: str
    admin_password: str
    domain: str
    ad_uri: str
    base_dn: str
    admin_dn: str
    managed_ou: str
    lab_dir: Path

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def https_port(self) -> int:
        return EXCHANGE_PORTS["exchange_https_port"]

    @property
    def krb5_conf(self) -> Path:
        """The clients' Kerberos settings for the lab realm (KRB5_CONFIG)."""
        return self.lab_dir / "krb5.conf"

    @property
    def realm(self) -> str:
        return self.domain.upper()

    def wsman(self, username: str | None = None, password: str | None = None, **kwargs):
        from pypsrp.wsman import WSMan

        return WSMan(
            self.host,
            port=self.port,
            path=self.path,
            ssl=False,
            auth="basic",
            encryption="never",
            username=username or self.admin_upn,
            password=password or self.admin_password,
            **kwargs,
        )

    def control(self):
        from exchange_lab.control import LabControl

        return LabControl(self.base_url)

    def unique(self, prefix: str = "t") -> str:
        return f"{prefix}{uuid.uuid4().hex[:10]}"

    @property
    def playbook_vars(self) -> dict[str, object]:
        """What a playbook run on a copy of inventories/lab needs to reach this lab."""
        return {
            "exchange_lab_name": EXCHANGE_NAME,
            "exchange_port": self.port,
            "exchange_https_port": self.https_port,
            "exchange_kdc_port": EXCHANGE_PORTS["exchange_kdc_port"],
            "exchange_ad_port": int(self.ad_uri.rsplit(":", 1)[1]),
            "exchange_admin_password": self.admin_password,
        }


def _exchange_ctl(action: str) -> None:
    ctl = EXCHANGE_DIR / "bin" / "exchange-lab"
    if ctl.exists():
        subprocess.run([str(ctl), action], check=False, capture_output=True, timeout=120)


@pytest.fixture(scope="session")
def exchange_lab():
    """The Exchange lab, brought up by lab/lab_up.yml --tags exchange and stopped afterwards."""
    import fcntl

    if os.geteuid() != 0:
        pytest.skip("the Exchange lab runs slapd as its user and may install Debian packages: run as root")
    with EXCHANGE_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            _exchange_ctl("stop")  # a fresh lab: nothing left by an earlier session
            if EXCHANGE_DIR.is_symlink():
                shutil.rmtree(EXCHANGE_DIR.resolve(), ignore_errors=True)
            extra = [
                f"-e{name}={value}"
                for name, value in {"exchange_lab_name": EXCHANGE_NAME, **EXCHANGE_PORTS}.items()
            ]
            run_lab_playbook("lab_up.yml", "--tags", "exchange", *extra)
            facts = yaml.safe_load(EXCHANGE_VARS.read_text(encoding="utf-8"))
            base_dn = facts["exchange_ad_base_dn"]
            yield ExchangeLab(
                host=facts["exchange_host"],
                port=EXCHANGE_PORTS["exchange_port"],
                path=facts["exchange_psrp_path"],
                configuration=facts["exchange_psrp_configuration"],
                admin_upn=f"administrator@{facts['exchange_domain']}",
                admin_password=(EXCHANGE_DIR / "secrets" / "administrator")
                .read_text(encoding="utf-8")
                .split()[0],
                domain=facts["exchange_domain"],
                ad_uri=f"ldap://{facts['exchange_ad_host']}:{EXCHANGE_PORTS['exchange_ad_port']}",
                base_dn=base_dn,
                admin_dn=f"CN=Administrator,CN=Users,{base_dn}",
                managed_ou=f"OU=DanangMail,{base_dn}",
                lab_dir=EXCHANGE_DIR.resolve(),  # the real directory, not the .lab link
            )
        finally:
            _exchange_ctl("stop")


@pytest.fixture(scope="module")
def pool(exchange_lab):
    """One runspace pool on the Exchange lab for a test module (as the backend keeps one)."""
    from pypsrp.powershell import RunspacePool

    with RunspacePool(exchange_lab.wsman(), configuration_name=exchange_lab.configuration) as runspace_pool:
        runspace_pool.exchange_keys()
        yield runspace_pool


@pytest.fixture(scope="module")
def ldap(exchange_lab):
    """An LDAP connection to the lab's AD stand-in as its Administrator, behind the lab's back."""
    from ldap3 import Connection, Server

    conn = Connection(
        Server(exchange_lab.ad_uri), exchange_lab.admin_dn, exchange_lab.admin_password, auto_bind=True
    )
    yield conn
    conn.unbind()
