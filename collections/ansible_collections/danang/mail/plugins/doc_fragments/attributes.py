# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared attribute documentation: what check mode, diff mode and idempotence mean for every module."""

from __future__ import annotations


class ModuleDocFragment:
    # Every module: each says its own C(support) (and C(details)) under attributes.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return what would change without changing anything.
  diff_mode:
    description: Returns what has changed (or would change in check mode) when in diff mode; never a password.
  idempotent:
    description: A second run with the same arguments against the state the first one left changes nothing.
"""

    # Modules that only read (their names end in _info, or they list what is in use).
    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: The module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details: The module only reads; it never reports a change.
  idempotent:
    support: full
"""
