# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment's ``personal_data.vault.yml`` (R-43), read by the action plugins that issue
passwords (danang.mail.mailbox, danang.mail.password_policy). Controller side only.

The action plugin takes ``personal_data_file`` out of the task's arguments, decrypts the file in
memory with the run's vault secrets and hands its content to the module as the no_log option
``personal_data``. The file must be ansible-vault encrypted: a plain one is refused, never read.
"""

from __future__ import annotations

import os
from typing import Any, Optional

from ansible.parsing.vault import AnsibleVaultError, VaultLib, is_encrypted
from ansible_collections.danang.mail.plugins.module_utils.personal_data import parse_personal_data
from ansible_collections.danang.mail.plugins.plugin_utils.credentials import (
    CredentialsError,
    load_secret_yaml,
)

OPTION = "personal_data_file"


def load_personal_data(path: Optional[str], vault: VaultLib) -> Optional[dict[str, dict[str, str]]]:
    """The module option ``personal_data`` from the file at ``path``; None when no file is named or
    it does not exist (the caller warns). Raises ``CredentialsError`` naming the file, entry and field."""
    if path is None:
        return None
    if not isinstance(path, str) or not path.strip():
        raise CredentialsError(f"{OPTION} must be a path")
    path = os.path.realpath(os.path.expanduser(os.path.expandvars(path)))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CredentialsError(f"cannot read the personal data file {path}: {exc.strerror}") from None
    if not is_encrypted(data):
        raise CredentialsError(
            f"the personal data file {path} is not ansible-vault encrypted: birth dates and phone numbers "
            "never sit in plain text (R-43); encrypt it with ansible-vault encrypt"
        )
    try:
        text = vault.decrypt(data).decode("utf-8")
    except (AnsibleVaultError, UnicodeDecodeError):
        raise CredentialsError(
            f"cannot decrypt the personal data file {path} with this run's vault secrets"
        ) from None
    content: Any = load_secret_yaml(text, path, "personal data")
    found, problems = parse_personal_data(content, path)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise CredentialsError(f"{problems[0]}{more}; nothing was changed")
    return {holder: data.as_option() for holder, data in found.items()}
