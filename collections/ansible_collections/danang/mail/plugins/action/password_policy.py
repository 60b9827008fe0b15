# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of danang.mail.password_policy: reset passwords go into the ansible-vault encrypted
credentials file (``plugin_utils/credentials.py``, shared with danang.mail.mailbox), never into the
output (R-40, R-45).

1. takes ``credentials_file`` and ``credentials_vault_id`` out of the module's arguments; a run that
   would reset passwords (``resets`` given, ``mode: enforce``, not check mode) without a file or a
   vault secret fails before the module runs;
2. holds the credentials directory's ``.lock`` while the module runs and the file is written;
3. decrypts ``personal_data_file`` (R-43) in memory into the module's no_log ``personal_data``
   when it resets passwords;
4. pops ``_reset_credentials`` from the result (always), replaces those holders' entries in the file
   (``record_resets``: a reset supersedes what was issued before) and returns ``credentials_file``
   and ``credentials_issued`` (holder ids), masking any password a message might still carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any, Optional

from ansible.parsing.vault import VaultLib
from ansible.plugins.action import ActionBase
from ansible_collections.danang.mail.plugins.plugin_utils.credentials import (
    CredentialsError,
    city_now,
    credentials_path,
    locked,
    pop_issued,
    record_resets,
    scrub,
    select_secret,
    update_credentials,
)
from ansible_collections.danang.mail.plugins.plugin_utils.personal_data import OPTION as PERSONAL_OPTION
from ansible_collections.danang.mail.plugins.plugin_utils.personal_data import load_personal_data

MODULE = "danang.mail.password_policy"
CREDENTIALS_KEY = "_reset_credentials"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True

    def run(self, tmp: Optional[str] = None, task_vars: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        path = args.pop("credentials_file", None)
        vault_id = args.pop("credentials_vault_id", None)
        personal_file = args.pop(PERSONAL_OPTION, None)
        resetting = bool(args.get("resets")) and args.get("mode") == "enforce" and not self._task.check_mode
        secrets: set[str] = set()
        try:
            secret = None
            if resetting:
                if not isinstance(path, str) or not path.strip():
                    raise CredentialsError(
                        "resets need credentials_file (e.g. inventories/<env>/credentials/<run>.vault.yml): "
                        "the new passwords would otherwise be lost; nothing was changed"
                    )
                path = credentials_path(path)
                secret = select_secret(list(self._loader._vault.secrets or []), vault_id)
                personal = load_personal_data(
                    personal_file, VaultLib(list(self._loader._vault.secrets or []))
                )
                if personal_file and personal is None:
                    self._display.warning(
                        f"no personal data file at {personal_file}: reset passwords are checked against the "
                        "person's names only, not birth date and phone (R-43)"
                    )
                if personal:
                    args["personal_data"] = personal
            with locked(path) if secret is not None else nullcontext():
                module_result = self._execute_module(
                    module_name=MODULE, module_args=args, task_vars=task_vars or {}
                )
                issued = pop_issued(module_result, CREDENTIALS_KEY)
                secrets.update(
                    str(entry.get("password")) for entry in issued.values() if isinstance(entry, Mapping)
                )
                result.update(module_result)
                if issued:
                    self._record(result, issued, path, secret)
        except CredentialsError as exc:
            result["failed"] = True
            result["msg"] = str(exc)
        return scrub(result, secrets)

    def _record(
        self,
        result: dict[str, Any],
        issued: Mapping[str, Any],
        path: Optional[str],
        secret: Optional[tuple[str, Any]],
    ) -> None:
        holders = sorted(str(h) for h in issued)
        if not path or secret is None:  # the module reset without the plugin's pre-check: never expected
            result["failed"] = True
            result["msg"] = (
                f"passwords were reset but there is no credentials file; reset again: {', '.join(holders)}"
            )
            return
        try:
            update_credentials(
                path,
                self._loader._vault.secrets or [],
                secret,
                lambda entries: record_resets(
                    entries,
                    {str(h): str(e["password"]) for h, e in issued.items()},
                    addresses={str(h): str(e.get("address") or "") for h, e in issued.items()},
                    systems={str(h): list(e.get("systems") or []) for h, e in issued.items()},
                    now=city_now(),
                ),
            )
        except CredentialsError as exc:
            result["failed"] = True
            result["msg"] = (
                f"passwords were reset but could not be written to {path} ({exc}); reset these holders "
                f"again: {', '.join(holders)}"
            )
            return
        result["credentials_file"] = path
        result["credentials_issued"] = holders
