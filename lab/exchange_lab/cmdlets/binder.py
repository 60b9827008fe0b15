# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cmdlet definitions and PowerShell's parameter binding against them.

Binding follows PowerShell's rules for a command invoked through the API (PSRP):
names match exactly, by alias or by unique prefix; a name given twice, unknown or ambiguous is
refused; the parameter set is one holding every given parameter, then one whose mandatory
parameters (and selector switch) are all given, then the default set; missing mandatory
parameters are refused (a remote host cannot prompt); each value converts to its type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from psrpcore.types import ErrorCategory

from exchange_lab.cmdlets import values
from exchange_lab.cmdlets.errors import CmdletError, binding_error
from exchange_lab.cmdlets.types import ConversionFailed, converter

# PowerShell's common parameters (valid on every cmdlet), with their built-in aliases.
COMMON_PARAMETERS = {
    "Debug": "SwitchParameter",
    "ErrorAction": "ActionPreference",
    "ErrorVariable": "String",
    "InformationAction": "ActionPreference",
    "InformationVariable": "String",
    "OutBuffer": "Int32",
    "OutVariable": "String",
    "PipelineVariable": "String",
    "Verbose": "SwitchParameter",
    "WarningAction": "ActionPreference",
    "WarningVariable": "String",
}
COMMON_ALIASES = {
    "db": "Debug",
    "ea": "ErrorAction",
    "ev": "ErrorVariable",
    "infa": "InformationAction",
    "iv": "InformationVariable",
    "ob": "OutBuffer",
    "ov": "OutVariable",
    "pv": "PipelineVariable",
    "vb": "Verbose",
    "wa": "WarningAction",
    "wv": "WarningVariable",
}
# ShouldProcess parameters carry the same aliases on every cmdlet that has them (the reference's
# "aliases" field: Confirm cf, WhatIf wi).
SHOULD_PROCESS_ALIASES = {"Confirm": ("cf",), "WhatIf": ("wi",)}
BINDING_EXCEPTION = "System.Management.Automation.ParameterBindingException"


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    mandatory: bool = False
    selector: bool = False  # a switch that selects its set (mandatory for binding)
    position: int | None = None
    aliases: tuple[str, ...] = ()
    pipeline: bool = False


@dataclass
class CmdletDef:
    name: str
    task_class: str  # .NET class, the tail of Exchange's FullyQualifiedErrorId
    sets: dict[str, dict[str, Param]]
    default_set: str | None
    confirm_impact_high: bool = False
    run: Callable[..., Any] | None = None

    def all_params(self) -> dict[str, Param]:
        merged: dict[str, Param] = {}
        for params in self.sets.values():
            for name, param in params.items():
                merged.setdefault(name, param)
        return merged


@dataclass
class Bound:
    set_name: str
    values: dict[str, Any] = field(default_factory=dict)
    common: dict[str, Any] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.values

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)


def define(
    name: str,
    task_class: str,
    types: dict[str, str],
    sets: dict[str, str],
    default: str | None = None,
    positions: dict[str, int] | None = None,
    aliases: dict[str, tuple[str, ...]] | None = None,
    pipeline: tuple[str, ...] = ("Identity",),
    confirm_impact_high: bool = False,
) -> CmdletDef:
    """A definition from compact set strings: 'Name! Shared* Alias' (! mandatory, * selector)."""
    parsed: dict[str, dict[str, Param]] = {}
    for set_name, spec in sets.items():
        params = {}
        for token in spec.split():
            pname = token.rstrip("!*")
            params[pname] = Param(
                pname,
                types[pname],
                mandatory=token.endswith("!"),
                selector=token.endswith("*"),
                position=(positions or {}).get(pname),
                aliases=(aliases or {}).get(pname, SHOULD_PROCESS_ALIASES.get(pname, ())),
                pipeline=pname in pipeline,
            )
        parsed[set_name] = params
    return CmdletDef(
        name,
        task_class,
        parsed,
        default or (next(iter(sets)) if len(sets) == 1 else None),
        confirm_impact_high,
    )


def _error(
    message: str, error_id: str, cmdlet: str, category: ErrorCategory = ErrorCategory.InvalidArgument
) -> CmdletError:
    return binding_error(message, error_id, cmdlet, BINDING_EXCEPTION, category)


def _canonical(cmdlet: CmdletDef, given: str) -> str:
    """The parameter (or common parameter) a given name means."""
    params = cmdlet.all_params()
    # The API form of -Name:value is the name with its dash and colon ("-cf:" or "cf").
    lowered = given.strip().removeprefix("-").removesuffix(":").lower()
    for name in list(params) + list(COMMON_PARAMETERS):
        if name.lower() == lowered:
            return name
    for name, param in params.items():
        if lowered in (a.lower() for a in param.aliases):
            return name
    if lowered in COMMON_ALIASES:
        return COMMON_ALIASES[lowered]
    matches = [n for n in list(params) + list(COMMON_PARAMETERS) if n.lower().startswith(lowered)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise _error(
            f"Parameter cannot be processed because the parameter name '{given}' is ambiguous. "
            f"Possible matches include: {' '.join('-' + m for m in matches)}.",
            "AmbiguousParameter",
            cmdlet.name,
        )
    raise _error(
        f"A parameter cannot be found that matches parameter name '{given}'.",
        "NamedParameterNotFound",
        cmdlet.name,
    )


def _by_position(params: dict[str, Param], names: set[str]) -> list[Param]:
    """The positional parameters not bound by name, in position order: what positional values fill."""
    return sorted(
        (p for p in params.values() if p.position is not None and p.name not in names),
        key=lambda p: p.position or 0,
    )


def _choose_set(cmdlet: CmdletDef, names: set[str], positional: int) -> str:
    candidates = [s for s, params in cmdlet.sets.items() if names <= set(params)]
    if not candidates:
        raise _error(
            "Parameter set cannot be resolved using the specified named parameters.",
            "AmbiguousParameterSet",
            cmdlet.name,
        )
    complete = []
    for s in candidates:
        filled = names | {p.name for p in _by_position(cmdlet.sets[s], names)[:positional]}
        if all(p.name in filled for p in cmdlet.sets[s].values() if p.mandatory or p.selector):
            complete.append(s)
    for group in (complete, candidates):
        if len(group) == 1:
            return group[0]
        if cmdlet.default_set in group:
            return cmdlet.default_set
        if group:
            # Prefer the set with no selector switch still unset (PowerShell's "no switch" set).
            plain = [s for s in group if not any(p.selector for p in cmdlet.sets[s].values())]
            if len(plain) == 1:
                return plain[0]
            raise _error(
                "Parameter set cannot be resolved using the specified named parameters.",
                "AmbiguousParameterSet",
                cmdlet.name,
            )
    raise AssertionError("unreachable")


def bind(
    cmdlet: CmdletDef, parameters: list[tuple[str | None, Any]], piped: dict[str, Any] | None = None
) -> Bound:
    named: dict[str, Any] = {}
    common: dict[str, Any] = {}
    positional: list[Any] = []
    for given, value in parameters:
        if given is None:
            positional.append(value)
            continue
        name = _canonical(cmdlet, given)
        if name in named or name in common:
            raise _error(
                f"Cannot bind parameter because parameter '{name}' is specified more than once. To "
                "provide multiple "
                "values to parameters that can accept multiple values, use the array syntax.",
                "ParameterAlreadyBound",
                cmdlet.name,
            )
        (common if name in COMMON_PARAMETERS else named)[name] = value
    for name, value in (piped or {}).items():
        named.setdefault(name, value)

    # WhatIf/Confirm are ordinary parameters of the sets that list them.
    set_name = _choose_set(cmdlet, set(named), len(positional))
    params = cmdlet.sets[set_name]
    free = _by_position(params, set(named))
    if len(positional) > len(free):
        raise _error(
            f"A positional parameter cannot be found that accepts argument '{positional[len(free)]}'.",
            "PositionalParameterNotFound",
            cmdlet.name,
        )
    for param, value in zip(free, positional, strict=False):
        named[param.name] = value

    missing = [p.name for p in params.values() if p.mandatory and p.name not in named]
    if missing:
        raise _error(
            "Cannot process command because of one or more missing mandatory parameters: "
            f"{' '.join(missing)}.",
            "MissingMandatoryParameter",
            cmdlet.name,
        )

    bound = Bound(set_name)
    for name, value in named.items():
        bound.values[name] = _convert(cmdlet, name, params[name].type, value)
    for name, value in common.items():
        bound.common[name] = _convert(cmdlet, name, COMMON_PARAMETERS[name], value)
    return bound


def _convert(cmdlet: CmdletDef, name: str, type_name: str, value: Any) -> Any:
    limit = values.limit_of(cmdlet.name, name)
    convert = converter(type_name)
    if limit is not None and limit.convert is not None:
        convert = limit.convert
    elif limit is not None and limit.count is not None:
        largest = limit.count
        convert = lambda v: values.to_count(v, largest)  # noqa: E731
    try:
        converted = convert(value)
    except ConversionFailed as exc:
        raise binding_error(
            f"Cannot process argument transformation on parameter '{name}'. {exc}",
            "ParameterArgumentTransformationError",
            cmdlet.name,
            "System.Management.Automation.ParameterBindingArgumentTransformationException",
            ErrorCategory.InvalidData,
        ) from None
    why = values.check(limit, converted) if limit is not None else None
    if why:
        raise binding_error(
            f'Cannot bind parameter \'{name}\' to the target. Exception setting "{name}": "{why}"',
            "ParameterBindingFailed",
            cmdlet.name,
            BINDING_EXCEPTION,
            ErrorCategory.WriteError,
        )
    return converted
