# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The self-service page's configuration file, everything but its ``web`` part (which the web
application reads): which domain, which systems in which order, how to reach them as the page's own
identities, where the personal data is (docs/password-portal.md).

Problems name the file, the part (``obm``, ``exchange``) and the field; they never quote a value,
so a secret in the wrong place is never echoed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import config as exchange_config
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import ExchangeConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.self_service import ObmPortalSettings
from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import (
    clear_text_allowed,
)
from ansible_collections.danang.mail.plugins.module_utils.model import (
    SYSTEM_EXCHANGE,
    SYSTEM_OBM,
    Problem,
    ValidationFailed,
)
from ansible_collections.danang.mail.plugins.module_utils.personal_data import (
    PersonalData,
    parse_personal_data,
)

TOP_FIELDS = ("domain", "systems", "obm", "exchange", "personal_data_file", "web")
# Decision of docs/password-portal.md: Exchange is written first and put back when OBM fails.
WRITE_ORDER = (SYSTEM_EXCHANGE, SYSTEM_OBM)
OBM_FIELDS: dict[str, type] = {
    "ldap_uri": str,
    "ldap_starttls": bool,
    "ca_file": str,
    "validate_certs": bool,
    "base_dn": str,
    "bind_dn": str,
    "bind_password": str,
}
OBM_REQUIRED = ("ldap_uri", "bind_dn", "bind_password")
_SPEC_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "path": (str,), "int": (int,), "bool": (bool,)}
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_LDAP_URI = re.compile(r"^ldaps?://[^\s/]+/?$")


@dataclass(frozen=True)
class PortalConfig:
    domain: str
    systems: tuple[str, ...]
    obm: Optional[ObmPortalSettings] = None
    exchange: Optional[ExchangeConfig] = None
    personal_data: dict[str, PersonalData] = field(default_factory=dict, repr=False)


def _typed(value: Any, types: tuple[type, ...]) -> bool:
    if bool not in types and isinstance(value, bool):
        return False  # YAML's true is no int
    return isinstance(value, types)


def _tls_problem(uri: str, starttls: Any, part: str, name: str, source: str, problems: list[Problem]) -> None:
    """The sign-in's simple binds carry the people's passwords: only inside TLS, or to this machine."""
    if not uri.lower().startswith("ldaps://") and starttls is not True and not clear_text_allowed(uri):
        problems.append(
            Problem(source, part, name, "people's passwords go only inside TLS: use ldaps:// or STARTTLS")
        )


def _section(config: Mapping[str, Any], name: str, source: str, problems: list[Problem]) -> dict[str, Any]:
    section = config.get(name)
    if not isinstance(section, Mapping):
        problems.append(Problem(source, name, "", "must be a mapping"))
        return {}
    return dict(section)


def _obm(
    config: Mapping[str, Any], domain: str, source: str, problems: list[Problem]
) -> Optional[ObmPortalSettings]:
    section = _section(config, "obm", source, problems)
    found = len(problems)
    for key, value in section.items():
        wanted = OBM_FIELDS.get(str(key))
        if wanted is None:
            problems.append(Problem(source, "obm", str(key), f"unknown field ({', '.join(OBM_FIELDS)})"))
        elif not _typed(value, (wanted,)):
            problems.append(Problem(source, "obm", str(key), f"must be a {wanted.__name__}"))
    for key in OBM_REQUIRED:
        if not section.get(key):
            problems.append(Problem(source, "obm", key, "is required"))
    uri = section.get("ldap_uri")
    if isinstance(uri, str) and uri and not _LDAP_URI.match(uri):
        problems.append(Problem(source, "obm", "ldap_uri", "must be ldap://host:port or ldaps://host:port"))
    elif isinstance(uri, str) and uri:
        _tls_problem(uri, section.get("ldap_starttls", True), "obm", "ldap_uri", source, problems)
    if len(problems) > found or not domain:
        return None
    return ObmPortalSettings(
        ldap_uri=section["ldap_uri"],
        bind_dn=section["bind_dn"],
        bind_password=section["bind_password"],
        domain=domain,
        base_dn=section.get("base_dn", "dc=local"),
        ldap_starttls=section.get("ldap_starttls", True),
        validate_certs=section.get("validate_certs", True),
        ca_file=section.get("ca_file"),
    )


def _exchange(config: Mapping[str, Any], source: str, problems: list[Problem]) -> Optional[ExchangeConfig]:
    section = _section(config, "exchange", source, problems)
    found = len(problems)
    spec = exchange_config.ARGUMENT_SPEC
    for key, value in section.items():
        option = spec.get(str(key))
        if option is None:
            problems.append(
                Problem(source, "exchange", str(key), "unknown field (the modules' exchange_*/ad_* options)")
            )
        elif option.get("type") == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                problems.append(Problem(source, "exchange", str(key), "must be a list of strings"))
        elif value is not None and not _typed(value, _SPEC_TYPES[str(option.get("type", "str"))]):
            problems.append(Problem(source, "exchange", str(key), f"must be a {option.get('type', 'str')}"))
        elif option.get("choices") and value not in option["choices"]:
            problems.append(
                Problem(source, "exchange", str(key), f"must be one of {', '.join(option['choices'])}")
            )
    for key in exchange_config.REQUIRED:
        if not section.get(key):
            problems.append(Problem(source, "exchange", key, "is required"))
    if isinstance(section.get("ad_uri"), str) and section["ad_uri"]:
        _tls_problem(
            section["ad_uri"], section.get("ad_starttls", False), "exchange", "ad_uri", source, problems
        )
    if len(problems) > found:
        return None
    try:
        return exchange_config.config_from_params(section)
    except BackendError as exc:  # names the option, never its value
        problems.append(Problem(source, "exchange", "", str(exc)))
        return None


def _personal_data(
    config: Mapping[str, Any], source: str, problems: list[Problem]
) -> dict[str, PersonalData]:
    path = config.get("personal_data_file")
    if path is None:
        return {}
    if not isinstance(path, str) or not path:
        problems.append(Problem(source, "", "personal_data_file", "must be a file name"))
        return {}
    try:
        data = strict_yaml.load_file(path, path, max_bytes=strict_yaml.LEDGER_MAX_BYTES, dates=True)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
        return {}
    found, more = parse_personal_data(data, path)
    problems.extend(more)
    return found


def read_config(config: Any, source: str) -> tuple[Optional[PortalConfig], list[Problem]]:
    """The configuration ``config`` (the parsed file ``source``) and its problems; None with them."""
    if not isinstance(config, Mapping):
        return None, [Problem(source, "", "", "must be a mapping")]
    problems: list[Problem] = []
    for key in config:
        if key not in TOP_FIELDS:
            problems.append(Problem(source, "", str(key), f"unknown field ({', '.join(TOP_FIELDS)})"))
    domain = config.get("domain")
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        problems.append(Problem(source, "", "domain", "must be a mail domain in lower case (R-01)"))
        domain = ""
    systems = config.get("systems")
    if (
        not isinstance(systems, list)
        or not systems
        or any(s not in WRITE_ORDER for s in systems)
        or len(set(systems)) != len(systems)
    ):
        problems.append(
            Problem(source, "", "systems", f"must list some of {', '.join(WRITE_ORDER)}, once each")
        )
        systems = []
    elif list(systems) != [s for s in WRITE_ORDER if s in systems]:
        problems.append(Problem(source, "", "systems", "Exchange is written first: list exchange before obm"))
    obm = _obm(config, domain, source, problems) if SYSTEM_OBM in systems else None
    exchange = _exchange(config, source, problems) if SYSTEM_EXCHANGE in systems else None
    personal = _personal_data(config, source, problems)
    if problems:
        return None, problems
    return PortalConfig(domain, tuple(systems), obm, exchange, personal), []


def config_problems(config: Any, source: str) -> list[Problem]:
    """What is wrong with the page's configuration (all but ``web``); empty when it can be used."""
    return read_config(config, source)[1]
