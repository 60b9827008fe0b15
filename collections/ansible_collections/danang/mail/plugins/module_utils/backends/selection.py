# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which backend a module talks to (its ``backend`` option) and the options of both (R-02).

The modules mailbox, mailbox_info and quota share this: the argument spec of both connections (the
OBM options required with ``backend: obm`` only, the Exchange ones with ``backend: exchange``) and
:func:`open_backend`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends import exchange, obm
from ansible_collections.danang.mail.plugins.module_utils.backends.base import Backend
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_EXCHANGE, SYSTEM_OBM

_OBM_REQUIRED = tuple(key for key, spec in obm.ARGUMENT_SPEC.items() if spec.get("required"))
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "backend": {"type": "str", "choices": [SYSTEM_OBM, SYSTEM_EXCHANGE], "default": SYSTEM_OBM},
    **{key: {k: v for k, v in spec.items() if k != "required"} for key, spec in obm.ARGUMENT_SPEC.items()},
    **exchange.ARGUMENT_SPEC,
}
REQUIRED_IF = [("backend", SYSTEM_OBM, _OBM_REQUIRED), ("backend", SYSTEM_EXCHANGE, exchange.REQUIRED)]


def missing_library(params: Mapping[str, Any]) -> Optional[tuple[str, Optional[str]]]:
    """(library, traceback) the chosen backend lacks, or None."""
    if params["backend"] == SYSTEM_EXCHANGE:
        return exchange.missing_library()
    return None if obm.HAS_LDAP3 else ("ldap3", obm.LDAP3_IMPORT_ERROR)


def open_backend(params: Mapping[str, Any], *, statistics: bool = False) -> Backend:
    """The backend ``params["backend"]`` names; raises ``BackendError`` when it cannot be configured.
    ``statistics`` (mailbox sizes and logons) is Exchange's."""
    if params["backend"] == SYSTEM_EXCHANGE:
        return exchange.ExchangeBackend(exchange.config_from_params(params, statistics=statistics))
    return obm.ObmBackend(obm.config_from_params(params))


def read_facts(backend: Backend) -> dict[str, dict[str, Any]]:
    """``backend.read()`` and its facts per address as plain dicts (the same keys on both systems:
    shared, enabled, mailbox, quota_mb, used_mb, last_login, last_access, password_changed,
    must_change_password, locked, dn; plus each system's own)."""
    backend.read()
    facts: Mapping[str, Any] = getattr(backend, "facts", {})
    plain = {a: dict(f) if isinstance(f, Mapping) else f.as_dict() for a, f in facts.items()}
    for values in plain.values():
        values.pop("address", None)
    return plain
