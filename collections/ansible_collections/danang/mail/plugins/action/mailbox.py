# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of danang.mail.mailbox: the initial passwords of new accounts go into an
ansible-vault encrypted credentials file, never into the output (R-40, R-45, R-46).

The module reconciles accounts and returns ``_initial_credentials`` ({holder id: password}) for the
persons it created. This plugin, on the control node:

1. takes its own options out of the module's arguments (``credentials_file``,
   ``credentials_vault_id``) and picks the vault secret to encrypt with (the run's first, or the one
   labelled ``credentials_vault_id``); no secret means no run, before anything changes;
2. holds the credentials directory's ``.lock`` for the whole task, so two tasks writing one file (OBM and
   Exchange in parallel) never give one person two passwords;
3. decrypts the file in memory and passes its passwords to the module as ``known_passwords``: a
   person created on OBM and later on Exchange gets one password (R-45, R-46);
4. without ``credentials_file``, first runs the module in check mode and refuses when it would
   create persons, whose passwords would otherwise be lost;
5. runs the module, always pops ``_initial_credentials`` (success, failure, check mode), and merges
   the new passwords into the file, written encrypted and atomically (a temporary file holding only
   ciphertext, mode 0600, renamed over the old one);
6. returns ``credentials_file`` and ``credentials_issued`` (holder ids, never passwords), after
   masking any password that a module message might still carry.

File format (YAML inside the vault), one mapping per holder id::

    CB-0042:
      address: dungnv@danang.gov.vn
      password: <the initial password>
      issued_at: '2026-03-02T09:15:02+07:00'   # the city's clock (UTC+7)
      systems: [exchange, obm]

Check mode writes nothing; a missing vault secret, or a plan that would create persons without a
credentials file, is then a warning (a plan is for looking; the real run fails on it).
"""

from __future__ import annotations

import datetime
import fcntl
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from typing import Any, Optional

import yaml
from ansible.parsing.vault import AnsibleVaultError, VaultLib, is_encrypted
from ansible.plugins.action import ActionBase
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE, KIND_PERSON

MODULE = "danang.mail.mailbox"
CREDENTIALS_KEY = "_initial_credentials"
KNOWN_KEY = "known_passwords"
OWN_OPTIONS = ("credentials_file", "credentials_vault_id")
DEFAULT_BACKEND = "obm"  # the module's default for ``backend``
FILE_MODE = 0o600
DIR_MODE = 0o700
MASK = "********"
NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # what AnsibleModule puts for a no_log value
_MIN_SCRUB = 6  # shorter secrets are masked only where a whole string equals them

VAULT_HELP = (
    "give the run a vault secret: ansible-playbook --vault-password-file <file> (or --vault-id "
    "<label>@<file>, --ask-vault-pass), or set ANSIBLE_VAULT_PASSWORD_FILE"
)
HEADER = (
    "# Initial passwords issued by danang.mail.mailbox (R-40, R-45). Hand each line over to its\n"
    "# agency, then delete this file (README: credentials hand-over). Holders must change the\n"
    "# password at first login; it is locked after 3 working days unchanged (R-41).\n"
)


class CredentialsError(Exception):
    """The credentials file cannot be used; the message holds no secret."""


def _now() -> datetime.datetime:
    """The issue time on the city's clock (tests replace this)."""
    return datetime.datetime.now(CITY_TIMEZONE).replace(microsecond=0)


# --- The credentials file -------------------------------------------------------------------


def select_secret(secrets: list[tuple[str, Any]], vault_id: Optional[str]) -> tuple[str, Any]:
    """The (vault id, secret) to encrypt with: the one labelled ``vault_id``, else the first."""
    if not secrets:
        raise CredentialsError(f"this run has no vault secret to encrypt the credentials file: {VAULT_HELP}")
    if vault_id is None:
        return secrets[0]
    for label, secret in secrets:
        if label == vault_id:
            return label, secret
    labels = ", ".join(sorted({pair[0] for pair in secrets}))
    raise CredentialsError(f"credentials_vault_id {vault_id!r} is not among this run's vault ids ({labels})")


def load_credentials(path: str, vault: VaultLib) -> dict[str, dict[str, Any]]:
    """The entries of the credentials file at ``path``, decrypted in memory; ``{}`` when missing."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CredentialsError(f"cannot read the credentials file {path}: {exc.strerror}") from None
    if not data.strip():
        return {}
    if not is_encrypted(data):
        raise CredentialsError(
            f"the credentials file {path} exists but is not ansible-vault encrypted: refusing to read or "
            "overwrite a plain-text credentials file; encrypt it (ansible-vault encrypt) or move it away"
        )
    try:
        text = vault.decrypt(data).decode("utf-8")
    except (AnsibleVaultError, UnicodeDecodeError):
        labels = ", ".join(pair[0] for pair in vault.secrets or []) or "none"
        raise CredentialsError(
            f"cannot decrypt the credentials file {path} with this run's vault secrets (vault ids: {labels})"
        ) from None
    try:
        entries = yaml.safe_load(text)
    except yaml.YAMLError:
        raise CredentialsError(f"the credentials file {path} does not hold valid YAML") from None
    if entries is None:
        return {}
    if not isinstance(entries, dict) or not all(
        isinstance(key, str) and isinstance(value, dict) for key, value in entries.items()
    ):
        raise CredentialsError(
            f"the credentials file {path} must map holder ids to entries (address, password, issued_at, "
            "systems)"
        )
    return entries


def known_passwords(entries: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Holder id -> password, for every entry that has one."""
    return {
        holder: entry["password"]
        for holder, entry in entries.items()
        if isinstance(entry.get("password"), str) and entry["password"]
    }


def dump_credentials(entries: Mapping[str, Mapping[str, Any]]) -> str:
    body = yaml.safe_dump(
        {holder: dict(entries[holder]) for holder in sorted(entries)},
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=False,
        width=1000,
    )
    return HEADER + body


def merge_credentials(
    entries: Mapping[str, Mapping[str, Any]],
    issued: Mapping[str, str],
    *,
    addresses: Mapping[str, str],
    system: str,
    now: datetime.datetime,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """``entries`` with the passwords ``issued`` on ``system`` merged in, and warnings (no secrets).

    The same password again (the module reused a known one) adds ``system`` to the entry; a different
    one replaces the entry, and the warning says which accounts still hold the old password.
    """
    merged = {holder: dict(entry) for holder, entry in entries.items()}
    warnings: list[str] = []
    for holder in sorted(issued):
        password = issued[holder]
        old = merged.get(holder)
        address = addresses.get(holder) or (old or {}).get("address")
        if old is not None and old.get("password") == password:
            systems = {str(s) for s in old.get("systems") or []} | {system}
            old["systems"] = sorted(systems)
            if address:
                old["address"] = address
            continue
        if old is not None:
            before = ", ".join(old.get("systems") or []) or "unknown systems"
            warnings.append(
                f"holder {holder}: a new initial password replaced the one issued at "
                f"{old.get('issued_at', 'an unknown time')} on {before}; those accounts keep the old one "
                "and need a reset (danang.mail.password_policy)"
            )
        merged[holder] = {
            "address": address,
            "password": password,
            "issued_at": now.isoformat(timespec="seconds"),
            "systems": [system],
        }
    return merged, warnings


def write_credentials(path: str, entries: Mapping[str, Mapping[str, Any]], secret: tuple[str, Any]) -> None:
    """Encrypt ``entries`` in memory and replace ``path`` atomically (mode 0600).

    Only ciphertext touches the disk: the temporary file beside ``path`` is created 0600 by
    ``mkstemp``, receives the vault text, is synced and renamed over ``path``.
    """
    vault_id, vault_secret = secret
    vault = VaultLib([secret])
    plain = dump_credentials(entries)
    cipher = vault.encrypt(plain, secret=vault_secret, vault_id=vault_id)
    if vault.decrypt(cipher).decode("utf-8") != plain:  # never write what cannot be read back
        raise CredentialsError("the encrypted credentials do not decrypt back to what was written")
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(cipher)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@contextmanager
def locked(path: str) -> Iterator[None]:
    """Hold the credentials directory's ``.lock`` exclusively (waits for another run on this control
    node). One lock per directory, not per file: every run names a new file, and a lock file per run
    would pile up."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    fd = os.open(os.path.join(directory, ".lock"), os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


# --- Reading the module's result ------------------------------------------------------------


def _rows(result: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = result.get(key)
    if isinstance(items, Mapping):  # keyed by address
        items = [{"address": name, **value} for name, value in items.items() if isinstance(value, Mapping)]
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping)]


def _result_items(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The module's per-address rows: ``plan`` (every change, also in check mode), else ``results``."""
    return _rows(result, "plan") or _rows(result, "results")


def issued_addresses(result: Mapping[str, Any]) -> dict[str, str]:
    """Holder id -> address, from the per-address rows (``holder_id`` and ``address`` per row)."""
    return {
        str(item["holder_id"]): str(item["address"])
        for item in _rows(result, "plan") + _rows(result, "results")
        if item.get("holder_id") and item.get("address")
    }


def creates_persons(result: Mapping[str, Any]) -> list[str]:
    """The addresses (or holder ids) of persons the result creates or would create.

    A row with ``action: create`` counts unless its ``kind`` says it is a shared mailbox (a row
    without ``kind`` counts: better refuse a run than lose a password).
    """
    found = [
        str(item.get("address") or item.get("holder_id") or "?")
        for item in _result_items(result)
        if item.get("action") == "create" and item.get("kind", KIND_PERSON) == KIND_PERSON
    ]
    credentials = result.get(CREDENTIALS_KEY)
    if isinstance(credentials, Mapping):
        found.extend(str(holder) for holder in credentials if str(holder) not in found)
    return found


def resolve_issued(issued: Mapping[str, Any], known: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """The issued passwords, a masked one (the module reused a ``known_passwords`` value, which
    no_log masks in its output) replaced by the known password; and the holders left unresolved."""
    resolved: dict[str, str] = {}
    unresolved: list[str] = []
    for holder, password in issued.items():
        holder = str(holder)
        if isinstance(password, str) and password and password != NO_LOG_MASK and MASK not in password:
            resolved[holder] = password
        elif holder in known:
            resolved[holder] = known[holder]
        else:
            unresolved.append(holder)
    return resolved, sorted(unresolved)


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` with every occurrence of a secret masked, in strings, keys and nested containers."""
    wanted = {s for s in secrets if isinstance(s, str) and s}
    if not wanted:
        return value
    long_secrets = [s for s in wanted if len(s) >= _MIN_SCRUB]
    width = min((len(s) for s in long_secrets), default=0)
    prefixes: dict[str, list[str]] = {}
    for secret in long_secrets:
        prefixes.setdefault(secret[:width], []).append(secret)

    def text(string: str) -> str:
        if string in wanted:
            return MASK
        if not width or len(string) < width:
            return string
        hits = [
            secret
            for start in range(len(string) - width + 1)
            for secret in prefixes.get(string[start : start + width], ())
            if string.startswith(secret, start)
        ]
        for secret in sorted(set(hits), key=len, reverse=True):
            string = string.replace(secret, MASK)
        return string

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return text(item)
        if isinstance(item, Mapping):
            return {walk(key) if isinstance(key, str) else key: walk(val) for key, val in item.items()}
        if isinstance(item, (list, tuple, set, frozenset)):
            return [walk(element) for element in item]
        return item

    return walk(value)


# --- The action -----------------------------------------------------------------------------


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: Optional[str] = None, task_vars: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = dict(self._task.args)
        path = args.pop("credentials_file", None)
        vault_id = args.pop("credentials_vault_id", None)
        check = bool(self._task.check_mode)
        secrets: set[str] = set()

        try:
            if path is not None and (not isinstance(path, str) or not path.strip()):
                raise CredentialsError("credentials_file must be a path")
            if vault_id is not None and (not isinstance(vault_id, str) or not vault_id):
                raise CredentialsError("credentials_vault_id must be a vault id label")
            if path:
                path = os.path.realpath(os.path.expanduser(os.path.expandvars(path)))
            given = args.pop(KNOWN_KEY, None) or {}
            if not isinstance(given, Mapping):
                raise CredentialsError(f"{KNOWN_KEY} must map holder ids to passwords")
            given_known = {str(holder): str(password) for holder, password in given.items()}
            secrets.update(given_known.values())

            run_secrets = list(self._loader._vault.secrets or [])
            secret = None
            if path:
                try:
                    secret = select_secret(run_secrets, vault_id)
                except CredentialsError:
                    if not (check and not run_secrets):
                        raise
                    self._display.warning(
                        f"check mode: this run has no vault secret; the real run will fail ({VAULT_HELP})"
                    )

            with locked(path) if path and not check else nullcontext():
                known = dict(given_known)
                if path and secret is not None:
                    from_file = known_passwords(load_credentials(path, VaultLib(run_secrets)))
                    secrets.update(from_file.values())
                    conflicts = sorted(h for h in from_file if h in known and known[h] != from_file[h])
                    if conflicts:
                        raise CredentialsError(
                            f"{KNOWN_KEY} and {path} give different passwords for: {', '.join(conflicts)}"
                        )
                    known.update(from_file)
                if known and not self._is_pipelining_enabled("new"):
                    self._display.warning(
                        "pipelining is off: the module's arguments, including known initial passwords, are "
                        "written to a temporary module file on the target; set pipelining = True"
                    )

                if not path and not check:
                    preview = self._run_module(args, known, task_vars, check_mode=True)
                    preview_issued = preview.pop(CREDENTIALS_KEY, None)
                    if isinstance(preview_issued, Mapping):
                        secrets.update(str(v) for v in preview_issued.values())
                    if preview.get("failed"):
                        result.update(preview)
                        return scrub(result, secrets)
                    persons = creates_persons({**preview, CREDENTIALS_KEY: preview_issued})
                    if persons:
                        raise CredentialsError(
                            f"this run would create {len(persons)} person account(s) ({_sample(persons)}) "
                            "but credentials_file is not set: their initial passwords would be lost. Set "
                            "credentials_file (e.g. inventories/<env>/credentials/<run>.vault.yml); nothing "
                            "was changed"
                        )

                module_result = self._run_module(args, known, task_vars)
                issued = module_result.pop(CREDENTIALS_KEY, None) or {}
                if not isinstance(issued, Mapping):
                    issued = {}
                secrets.update(str(v) for v in issued.values())
                result.update(module_result)

                if check:
                    if not path and creates_persons({**module_result, CREDENTIALS_KEY: issued}):
                        self._display.warning(
                            "check mode: this plan creates persons but credentials_file is not set; the real "
                            "run will refuse to start"
                        )
                    if path:
                        result["credentials_file"] = path
                        result["credentials_issued"] = []
                    return scrub(result, secrets)

                if issued:
                    self._record(result, issued, known, path, secret, module_result, args, secrets)
                elif path:
                    result["credentials_file"] = path
                    result["credentials_issued"] = []
        except CredentialsError as exc:
            result["failed"] = True
            result["msg"] = str(exc)
        return scrub(result, secrets)

    def _record(
        self,
        result: dict[str, Any],
        issued: Mapping[str, Any],
        known: Mapping[str, str],
        path: Optional[str],
        secret: Optional[tuple[str, Any]],
        module_result: Mapping[str, Any],
        args: Mapping[str, Any],
        secrets: set[str],
    ) -> None:
        """Merge the issued passwords into the file; on any failure say which holders need a reset."""
        passwords, unresolved = resolve_issued(issued, known)
        holders = sorted({str(h) for h in issued})
        if unresolved:
            self._display.warning(
                f"the module returned no usable initial password for: {', '.join(unresolved)}; reset them "
                "(danang.mail.password_policy)"
            )
        if not path or secret is None:
            result["failed"] = True
            result["msg"] = (
                f"the module created accounts with initial passwords but there is no credentials file to "
                f"record them in; reset these holders: {', '.join(holders)}"
            )
            return
        system = str(module_result.get("backend") or args.get("backend") or DEFAULT_BACKEND)
        try:
            entries = load_credentials(path, VaultLib(list(self._loader._vault.secrets or [])))
            merged, warnings = merge_credentials(
                entries, passwords, addresses=issued_addresses(module_result), system=system, now=_now()
            )
            write_credentials(path, merged, secret)
        except (CredentialsError, OSError, AnsibleVaultError, yaml.YAMLError) as exc:
            reason = str(exc) if isinstance(exc, CredentialsError) else type(exc).__name__
            result["failed"] = True
            result["msg"] = (
                f"accounts were created but their initial passwords could not be written to {path} "
                f"({reason}); reset these holders: {', '.join(holders)}"
            )
            return
        for warning in warnings:
            self._display.warning(warning)
        result["credentials_file"] = path
        result["credentials_issued"] = sorted(passwords)
        result["changed"] = True

    def _run_module(
        self,
        args: Mapping[str, Any],
        known: Mapping[str, str],
        task_vars: dict[str, Any],
        check_mode: bool = False,
    ) -> dict[str, Any]:
        module_args = dict(args)
        if known:
            module_args[KNOWN_KEY] = dict(known)
        saved = self._task.check_mode
        if check_mode:
            self._task.check_mode = True
        try:
            return self._execute_module(module_name=MODULE, module_args=module_args, task_vars=task_vars)
        finally:
            self._task.check_mode = saved


def _sample(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
