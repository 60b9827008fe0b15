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
5. with it, first runs the module in check mode and records every planned initial password in the
   pending hand-over record (``plugin_utils/pending.py``) BEFORE anything changes; the real run gets
   them as ``known_passwords`` with ``require_known_passwords``, so a run killed at any point loses no
   password, and the next run reuses it on every system (R-45) and hands over what was created;
6. runs the module, always pops ``_initial_credentials`` and ``_handover`` (success, failure, check
   mode), and merges the created accounts' passwords, and those of pending accounts now found on the
   system, into the file, written encrypted and atomically (a temporary file holding only ciphertext,
   mode 0600, renamed over the old one); then settles the pending record;
7. returns ``credentials_file`` and ``credentials_issued`` (holder ids, never passwords), after
   masking any password that a module message might still carry.

``personal_data_file`` (the environment's ``personal_data.vault.yml``, R-43) is decrypted in memory
and passed to the module as the no_log option ``personal_data``.

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

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any, Optional

from ansible.parsing.vault import VaultLib
from ansible.plugins.action import ActionBase
from ansible_collections.danang.mail.plugins.module_utils.model import KIND_PERSON
from ansible_collections.danang.mail.plugins.plugin_utils.credentials import (
    MASK,
    VAULT_HELP,
    CredentialsError,
    credentials_path,
    known_passwords,
    load_credentials,
    locked,
    merge_credentials,
    pop_issued,
    scrub,
    select_secret,
    update_credentials,
    write_credentials,
)
from ansible_collections.danang.mail.plugins.plugin_utils.credentials import city_now as _now
from ansible_collections.danang.mail.plugins.plugin_utils.pending import (
    pending_path,
    plan_pending,
    settle_pending,
)
from ansible_collections.danang.mail.plugins.plugin_utils.personal_data import OPTION as PERSONAL_OPTION
from ansible_collections.danang.mail.plugins.plugin_utils.personal_data import load_personal_data

MODULE = "danang.mail.mailbox"
CREDENTIALS_KEY = "_initial_credentials"
HANDOVER_KEY = "_handover"
KNOWN_KEY = "known_passwords"
OWN_OPTIONS = ("credentials_file", "credentials_vault_id", "personal_data_file")
DEFAULT_BACKEND = "obm"  # the module's default for ``backend``
NO_LOG_MASK = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"  # what AnsibleModule puts for a no_log value


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
        personal_file = args.pop(PERSONAL_OPTION, None)
        check = bool(self._task.check_mode)
        system = str(args.get("backend") or DEFAULT_BACKEND)
        secrets: set[str] = set()

        try:
            if path is not None and (not isinstance(path, str) or not path.strip()):
                raise CredentialsError("credentials_file must be a path")
            if vault_id is not None and (not isinstance(vault_id, str) or not vault_id):
                raise CredentialsError("credentials_vault_id must be a vault id label")
            if path:
                path = credentials_path(path)
            given = args.pop(KNOWN_KEY, None) or {}
            if not isinstance(given, Mapping):
                raise CredentialsError(f"{KNOWN_KEY} must map holder ids to passwords")
            given_known = {str(holder): str(password) for holder, password in given.items()}
            secrets.update(given_known.values())

            run_secrets = list(self._loader._vault.secrets or [])
            personal = load_personal_data(personal_file, VaultLib(run_secrets))
            if personal:
                args["personal_data"] = personal
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
                pending: dict[str, dict[str, Any]] = {}
                if path and secret is not None:
                    vault = VaultLib(run_secrets)
                    from_file = known_passwords(load_credentials(path, vault))
                    pending = load_credentials(pending_path(path), vault)
                    from_pending = known_passwords(pending)
                    secrets.update(from_file.values())
                    secrets.update(from_pending.values())
                    for source, found in ((path, from_file), (pending_path(path), from_pending)):
                        conflicts = sorted(h for h in found if h in known and known[h] != found[h])
                        if conflicts:
                            raise CredentialsError(
                                f"{KNOWN_KEY} and {source} give different passwords for: "
                                + ", ".join(conflicts)
                            )
                        known.update(found)
                if known and not self._is_pipelining_enabled("new"):
                    self._display.warning(
                        "pipelining is off: the module's arguments, including known initial passwords, are "
                        "written to a temporary module file on the target; set pipelining = True"
                    )

                if not check:
                    preview = self._run_module(args, known, task_vars, check_mode=True)
                    preview_issued = pop_issued(preview, CREDENTIALS_KEY)
                    preview.pop(HANDOVER_KEY, None)
                    secrets.update(str(v) for v in preview_issued.values())
                    # Conflicts fail the task for those accounts only (never adopted): the others
                    # are still reconciled; any other failure stops before anything changes.
                    if preview.get("failed") and not preview.get("conflicts"):
                        result.update(preview)
                        return scrub(result, secrets)
                    if not path:
                        persons = creates_persons({**preview, CREDENTIALS_KEY: preview_issued})
                        if persons:
                            raise CredentialsError(_no_file_refusal(persons))
                    elif secret is not None:
                        known.update(
                            self._record_pending(path, secret, pending, preview, preview_issued, known)
                        )
                        args["require_known_passwords"] = True

                module_result = self._run_module(args, known, task_vars)
                issued = pop_issued(module_result, CREDENTIALS_KEY)
                if personal_file and personal is None and any(h not in given_known for h in issued):
                    self._display.warning(
                        f"no personal data file at {personal_file}: initial passwords are checked against "
                        "the person's names only, not birth date and phone (R-43)"
                    )
                handover = pop_issued(module_result, HANDOVER_KEY)
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

                settled, from_pending = settle_pending(pending, handover, system=system)
                if issued or from_pending:
                    self._record(result, issued, from_pending, known, path, secret, module_result, handover)
                elif path:
                    result["credentials_file"] = path
                    result["credentials_issued"] = []
                if path and secret is not None and settled != pending and not result.get("credentials_error"):
                    self._write(pending_path(path), settled, secret, "the pending hand-over record")
        except CredentialsError as exc:
            result["failed"] = True
            result["msg"] = str(exc)
        result.pop("credentials_error", None)
        return scrub(result, secrets)

    def _record_pending(
        self,
        path: str,
        secret: tuple[str, Any],
        pending: dict[str, dict[str, Any]],
        preview: Mapping[str, Any],
        planned: Mapping[str, Any],
        known: Mapping[str, str],
    ) -> dict[str, str]:
        """Write every planned initial password to the pending record before anything changes; they
        become known passwords of the real run."""
        passwords, _unresolved = resolve_issued(planned, known)  # an unresolved one is never created
        updated, changed = plan_pending(
            pending,
            passwords,
            addresses=issued_addresses(preview),
            system=str(self._task.args.get("backend") or DEFAULT_BACKEND),
            now=_now(),
        )
        if changed:
            self._write(
                pending_path(path), updated, secret, "the pending hand-over record", before_apply=True
            )
            pending.clear()
            pending.update(updated)
        return passwords

    def _write(
        self,
        target: str,
        entries: Mapping[str, Mapping[str, Any]],
        secret: tuple[str, Any],
        what: str,
        before_apply: bool = False,
    ) -> None:
        try:
            write_credentials(target, entries, secret)
        except CredentialsError as exc:
            raise CredentialsError(f"cannot write {what} {target} ({exc})") from None
        except OSError as exc:
            done = "nothing was changed" if before_apply else "the next run retries"
            raise CredentialsError(f"cannot write {what} {target} ({exc.strerror}); {done}") from None

    def _record(
        self,
        result: dict[str, Any],
        issued: Mapping[str, Any],
        from_pending: Mapping[str, str],
        known: Mapping[str, str],
        path: Optional[str],
        secret: Optional[tuple[str, Any]],
        module_result: Mapping[str, Any],
        handover: Mapping[str, Any],
    ) -> None:
        """Merge the passwords of the accounts now on the system into the file; on any failure say
        which holders need a reset."""
        passwords, unresolved = resolve_issued(issued, known)
        passwords.update(from_pending)
        holders = sorted({str(h) for h in issued} | set(from_pending))
        if unresolved:
            self._display.warning(
                f"the module returned no usable initial password for: {', '.join(unresolved)}; reset them "
                "(danang.mail.password_policy)"
            )
        if not path or secret is None:
            result["failed"] = True
            result["credentials_error"] = True
            result["msg"] = (
                f"the module created accounts with initial passwords but there is no credentials file to "
                f"record them in; reset these holders: {', '.join(holders)}"
            )
            return
        system = str(module_result.get("backend") or self._task.args.get("backend") or DEFAULT_BACKEND)
        addresses = issued_addresses(module_result)
        for holder, info in handover.items():
            if isinstance(info, Mapping) and info.get("address"):
                addresses.setdefault(str(holder), str(info["address"]))
        warnings: list[str] = []

        def merge(entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
            merged, found = merge_credentials(
                entries, passwords, addresses=addresses, system=system, now=_now()
            )
            warnings.extend(found)
            return merged

        try:
            update_credentials(path, self._loader._vault.secrets or [], secret, merge)
        except CredentialsError as exc:
            result["failed"] = True
            result["credentials_error"] = True
            result["msg"] = (
                f"accounts were created but their initial passwords could not be written to {path} "
                f"({exc}); they stay in {pending_path(path)} and the next run hands them over: "
                f"{', '.join(holders)}"
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


def _no_file_refusal(persons: list[str]) -> str:
    return (
        f"this run would create {len(persons)} person account(s) ({_sample(persons)}) but "
        "credentials_file is not set: their initial passwords would be lost. Set credentials_file "
        "(e.g. inventories/<env>/credentials/<run>.vault.yml); nothing was changed"
    )


def _sample(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
