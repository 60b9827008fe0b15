# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way a module opens a mail system (R-02): its options, what each system requires, the
library it lacks, and :func:`open_system`.

Every module that talks to a system (mailbox, mailbox_info, quota, addresses_in_use,
password_policy, exchange_org) takes ``ARGUMENT_SPEC`` (the ``backend`` option and every system's
connection options, documented by the doc fragments ``danang.mail.backend``, ``danang.mail.obm``
and ``danang.mail.exchange``) or ``CONNECTION_SPEC`` (the connection options alone), checks
``REQUIRED_IF`` / ``REQUIRED`` and :func:`missing_library`, then opens the system with
:func:`open_system` and closes it (a context manager).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import MailSystem
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import config as exchange_config
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.system import ExchangeSystem
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import HAS_LDAP3, LDAP3_IMPORT_ERROR
from ansible_collections.danang.mail.plugins.module_utils.backends.obm import config as obm_config
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_EXCHANGE, SYSTEM_OBM

SYSTEMS = (SYSTEM_OBM, SYSTEM_EXCHANGE)
# The options each system needs, required only when that system is chosen.
REQUIRED: dict[str, tuple[str, ...]] = {
    SYSTEM_OBM: tuple(key for key, spec in obm_config.ARGUMENT_SPEC.items() if spec.get("required")),
    SYSTEM_EXCHANGE: exchange_config.REQUIRED,
}
CONNECTION_SPEC: dict[str, dict[str, Any]] = {
    **{
        key: {k: v for k, v in spec.items() if k != "required"}
        for key, spec in obm_config.ARGUMENT_SPEC.items()
    },
    **exchange_config.ARGUMENT_SPEC,
}
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "backend": {"type": "str", "choices": list(SYSTEMS), "default": SYSTEM_OBM},
    **CONNECTION_SPEC,
}
REQUIRED_IF = [("backend", system, REQUIRED[system]) for system in SYSTEMS]


def system_spec(system: str) -> dict[str, dict[str, Any]]:
    """The options of one system alone, its required ones required (a module for that system only)."""
    spec = obm_config.ARGUMENT_SPEC if system == SYSTEM_OBM else exchange_config.ARGUMENT_SPEC
    return {
        key: {**value, "required": True} if key in REQUIRED[system] else value for key, value in spec.items()
    }


def missing_library(system: str) -> Optional[tuple[str, Optional[str]]]:
    """(library, traceback) that ``system`` needs and this Python lacks, or None."""
    if system == SYSTEM_EXCHANGE:
        return exchange_config.missing_library()
    return None if HAS_LDAP3 else ("ldap3", LDAP3_IMPORT_ERROR)


@dataclass(frozen=True)
class Missing:
    """Why a chosen system cannot be opened: a required ``option`` text, or a ``library`` (with the
    ``traceback`` of its import) for ``missing_required_lib``."""

    message: Optional[str] = None
    library: Optional[str] = None
    traceback: Optional[str] = None


def first_missing(params: Mapping[str, Any], chosen: Sequence[str]) -> Optional[Missing]:
    """The first required option or library that one of the ``chosen`` systems lacks, or None
    (modules whose ``backend`` is a list check this before anything is read)."""
    for system in chosen:
        options = [key for key in REQUIRED[system] if params.get(key) is None]
        if options:
            return Missing(message=f"missing required arguments with backend {system}: {', '.join(options)}")
        library = missing_library(system)
        if library:
            return Missing(library=library[0], traceback=library[1])
    return None


def fail_when_missing(module: Any) -> None:
    """Stop ``module`` (an ``AnsibleModule`` whose ``backend`` is a list) before anything is read
    when one of its systems lacks a required option or library (``first_missing``)."""
    missing = first_missing(module.params, module.params["backend"])
    if missing:
        module.fail_json(
            msg=missing.message or missing_required_lib(missing.library), exception=missing.traceback
        )


@contextlib.contextmanager
def open_all(
    params: Mapping[str, Any], chosen: Sequence[str], *, statistics: bool = False
) -> Iterator[dict[str, MailSystem]]:
    """Each of the ``chosen`` systems opened (``open_system``), by name; all closed on exit."""
    with contextlib.ExitStack() as stack:
        yield {
            system: stack.enter_context(open_system(params, system, statistics=statistics))
            for system in chosen
        }


def open_system(
    params: Mapping[str, Any], system: Optional[str] = None, *, statistics: bool = False
) -> MailSystem:
    """The system ``system`` (default: ``params["backend"]``) configured from ``params``; connections
    open on first use. Raises ``BackendError`` when it cannot be configured. ``statistics`` (mailbox
    sizes and logons in ``read()``) is Exchange's."""
    chosen = system or params["backend"]
    if chosen == SYSTEM_EXCHANGE:
        return ExchangeSystem(exchange_config.config_from_params(params, statistics=statistics))
    return ObmSystem(obm_config.config_from_params(params))


def read_facts(system: MailSystem) -> dict[str, dict[str, Any]]:
    """``system.read()`` and its facts per address as plain dicts (the same keys on both systems:
    shared, enabled, mailbox, quota_mb, used_mb, last_login, last_access, password_changed,
    must_change_password, locked, dn; plus each system's own)."""
    system.read()
    return {address: facts.as_dict() for address, facts in system.facts.items()}
