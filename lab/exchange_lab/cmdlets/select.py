# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``Select-Object -Property``, which Exchange's restricted runspace allows in a pipeline.

PowerShell's semantics (src/Microsoft.PowerShell.Commands.Utility/commands/utility/Select-Object.cs
in PowerShell/PowerShell): each input object becomes a new PSCustomObject holding note properties
in the order asked; a name matches the object's property case-insensitively and takes the object's
spelling; a name without wildcards that matches nothing still gives a property, ``$null``
("allow 'Select-Object -Property noexist-name'"); a wildcard name gives every match and nothing
when none match; the type names start with ``Selected.<input's .NET type>``. A name asked twice
is kept once (PowerShell also writes an error record for it). Only ``-Property``
(named or first positional) is modelled: the others (-ExpandProperty, -First, ...) are refused as
unknown, like any parameter the lab lacks.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from psrpcore.types import ErrorCategory, PSCustomObject, PSNoteProperty, PSObject

from exchange_lab.cmdlets.errors import CmdletError

NAME = "Select-Object"
_WILDCARD = re.compile(r"[*?\[]")


def _names(parameters: list[tuple[str | None, Any]]) -> list[str]:
    wanted: Any = None
    for name, value in parameters:
        if name is None or (name and "property".startswith(name.lower())):
            if wanted is not None:
                raise _refused("Property", "specified more than once")
            wanted = value
            continue
        raise _refused(name, "not found")
    if wanted is None:
        return []
    return [str(v) for v in wanted] if isinstance(wanted, list) else [str(wanted)]


def _refused(name: str, why: str) -> CmdletError:
    return CmdletError(
        f"A parameter cannot be found that matches parameter name '{name}'."
        if why == "not found"
        else "Cannot bind parameter because parameter 'Property' is specified more than once.",
        ErrorCategory.InvalidArgument,
        "System.Management.Automation.ParameterBindingException",
        "NamedParameterNotFound,Microsoft.PowerShell.Commands.SelectObjectCommand"
        if why == "not found"
        else "ParameterAlreadyBound,Microsoft.PowerShell.Commands.SelectObjectCommand",
        terminating=True,
    )


def _properties(obj: Any) -> list[tuple[str, Any]]:
    if not isinstance(obj, PSObject):
        return []
    members = [*obj.PSObject.adapted_properties, *obj.PSObject.extended_properties]
    return [(p.name, p.get_value(obj)) for p in members]


def _base_type(obj: Any) -> str:
    names = obj.PSObject.type_names if isinstance(obj, PSObject) else []
    return names[0] if names else "System.Object"


def select(obj: Any, names: list[str]) -> PSCustomObject:
    own = _properties(obj)
    chosen: dict[str, tuple[str, Any]] = {}  # lower-cased name -> (name, value); the first wins
    for wanted in names:
        if _WILDCARD.search(wanted):
            found = [(n, v) for n, v in own if fnmatch.fnmatchcase(n.lower(), wanted.lower())]
        else:
            found = [(n, v) for n, v in own if n.lower() == wanted.lower()] or [(wanted, None)]
        for name, value in found:
            chosen.setdefault(name.lower(), (name, value))
    result = PSCustomObject()
    for name, value in chosen.values():
        result.PSObject.extended_properties.append(PSNoteProperty(name, value))
    result.PSObject.type_names = [f"Selected.{_base_type(obj)}", *result.PSObject.type_names]
    return result


def select_object(parameters: list[tuple[str | None, Any]], inputs: list[Any] | None) -> list[Any]:
    names = _names(parameters)
    if not names:  # no -Property: the input objects themselves
        return list(inputs or [])
    return [select(obj, names) for obj in inputs or []]
