# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ansible-vault encrypted credentials file, shared by the action plugins that issue passwords
(danang.mail.mailbox: initial passwords; danang.mail.password_policy: resets). Controller side only.

File format (YAML inside the vault), one mapping per holder id::

    CB-0042:
      address: dungnv@danang.gov.vn
      password: <the initial or reset password>
      issued_at: '2026-03-02T09:15:02+07:00'   # the city's clock (UTC+7)
      systems: [exchange, obm]
      reset: true                              # only for a reset (danang.mail.password_policy)

Only ciphertext touches the disk (``write_credentials``); one ``.lock`` per directory serialises the
runs of one control node (``locked``); ``scrub`` masks any secret left in a task result.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Optional

import yaml
from ansible.parsing.vault import AnsibleVaultError, VaultLib, is_encrypted
from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.files import exclusive_lock, write_atomically
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE, ValidationFailed

FILE_MODE = 0o600
DIR_MODE = 0o700
MASK = "********"
_MIN_SCRUB = 6  # shorter secrets are masked only where a whole string equals them

VAULT_HELP = (
    "give the run a vault secret: ansible-playbook --vault-password-file <file> (or --vault-id "
    "<label>@<file>, --ask-vault-pass), or set ANSIBLE_VAULT_PASSWORD_FILE"
)
HEADER = (
    "# Initial passwords (new accounts, resets) issued by danang.mail (R-40, R-45). Hand each line\n"
    "# over to its agency, then delete this file (docs/credentials.md). Holders must change the\n"
    "# password at first login; it is locked after 3 working days unchanged (R-41).\n"
)


class CredentialsError(Exception):
    """The credentials file cannot be used; the message holds no secret."""


def load_secret_yaml(text: str, path: str, what: str) -> Any:
    """The data of a decrypted ``what`` file, read by the collection's one strict YAML reader
    (``strict_yaml``: no duplicate keys, anchors or merge keys, no unquoted yes/no or odd numbers).
    A refusal names the file and the line only: the reader's own message may quote a secret."""
    try:
        # One entry per person at most, as in the ledger: the ledger's size cap.
        return strict_yaml.parse(text, path, dates=True, max_chars=strict_yaml.LEDGER_MAX_BYTES)
    except ValidationFailed as exc:
        where = next((p.entry for p in exc.problems if p.entry), "")
        raise CredentialsError(
            f"the {what} file {path} is refused by the strict YAML reader{', ' + where if where else ''} "
            "(invalid YAML, a duplicate key, an anchor or merge key, or an unquoted value YAML would "
            "read as a number or yes/no: quote it)"
        ) from None


def city_now() -> datetime.datetime:
    """The issue time on the city's clock (the action plugins' one clock; tests replace it there)."""
    return datetime.datetime.now(CITY_TIMEZONE).replace(microsecond=0)


# --- The credentials file -------------------------------------------------------------------


def credentials_path(path: str) -> str:
    """The file's real path (variables and ``~`` expanded): the lock and the file are found by it."""
    return os.path.realpath(os.path.expanduser(os.path.expandvars(path)))


def pop_issued(module_result: dict[str, Any], key: str) -> Mapping[str, Any]:
    """Take the passwords the module issued (``key``) out of its result, always; ``{}`` when odd."""
    issued = module_result.pop(key, None) or {}
    return issued if isinstance(issued, Mapping) else {}


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
    entries = load_secret_yaml(text, path, "credentials")
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


def record_resets(
    entries: Mapping[str, Mapping[str, Any]],
    issued: Mapping[str, str],
    *,
    addresses: Mapping[str, str],
    systems: Mapping[str, list[str]],
    now: datetime.datetime,
) -> dict[str, dict[str, Any]]:
    """``entries`` with each reset holder's entry replaced by the new password: a reset is meant to
    replace whatever was issued before (R-40); the old password no longer works anywhere it was set."""
    merged = {holder: dict(entry) for holder, entry in entries.items()}
    for holder in sorted(issued):
        merged[holder] = {
            "address": addresses.get(holder) or (entries.get(holder) or {}).get("address"),
            "password": issued[holder],
            "issued_at": now.isoformat(timespec="seconds"),
            "systems": sorted(systems.get(holder) or []),
            "reset": True,
        }
    return merged


def write_credentials(path: str, entries: Mapping[str, Mapping[str, Any]], secret: tuple[str, Any]) -> None:
    """Encrypt ``entries`` in memory and replace ``path`` atomically (mode 0600).

    Only ciphertext touches the disk: ``files.write_atomically``'s temporary file is created 0600.
    """
    vault_id, vault_secret = secret
    vault = VaultLib([secret])
    plain = dump_credentials(entries)
    cipher = vault.encrypt(plain, secret=vault_secret, vault_id=vault_id)
    if vault.decrypt(cipher).decode("utf-8") != plain:  # never write what cannot be read back
        raise CredentialsError("the encrypted credentials do not decrypt back to what was written")
    os.makedirs(os.path.dirname(path) or ".", mode=DIR_MODE, exist_ok=True)
    write_atomically(path, cipher, FILE_MODE)


def update_credentials(
    path: str,
    vault_secrets: Iterable[tuple[str, Any]],
    secret: tuple[str, Any],
    update: Callable[[dict[str, dict[str, Any]]], dict[str, dict[str, Any]]],
) -> None:
    """Decrypt the file in memory, ``update`` its entries, write them back encrypted. Any failure is
    a ``CredentialsError`` whose message holds no secret (else only the kind of error)."""
    try:
        write_credentials(path, update(load_credentials(path, VaultLib(list(vault_secrets)))), secret)
    except CredentialsError:
        raise
    except (OSError, AnsibleVaultError, yaml.YAMLError, KeyError) as exc:
        raise CredentialsError(type(exc).__name__) from None


@contextmanager
def locked(path: str) -> Iterator[None]:
    """Hold the credentials directory's ``.lock`` exclusively (waits for another run on this control
    node). One lock per directory, not per file: every run names a new file, and a lock file per run
    would pile up."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=DIR_MODE, exist_ok=True)
    with exclusive_lock(os.path.join(directory, ".lock"), mode=FILE_MODE):
        yield


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
