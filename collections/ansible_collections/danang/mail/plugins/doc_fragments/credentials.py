# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared option documentation: what the action plugin of a module that issues passwords
(mailbox, password_policy) reads and writes around the module."""

from __future__ import annotations


class ModuleDocFragment:
    # Each module documents its own credentials_file: what it records there differs.
    DOCUMENTATION = r"""
options:
  credentials_vault_id:
    description:
      - The vault id (label) to encrypt O(credentials_file) with; the run's first vault secret when
        omitted. Handled by the action plugin.
    type: str
  personal_data:
    description:
      - Birth date (C(birth_date), YYYY-MM-DD) and phone (C(phone)) by person id, never part of a
        password the module issues (R-43). Filled by the action plugin from O(personal_data_file).
    type: dict
    default: {}
  personal_data_file:
    description:
      - The environment's ansible-vault encrypted C(personal_data.vault.yml) (the repository's
        C(docs/desired-state.md), "Personal data stays out of git"). Read in memory by the action
        plugin with the run's vault secrets into O(personal_data); a plain-text file is refused. A
        missing file gives a warning when the run issues passwords.
    type: path
"""

    # The working-day calendar (workdays.WorkingCalendar) of a module that counts working days.
    CALENDAR = r"""
options:
  calendar_overrides:
    description:
      - The environment's decreed days off and working days, on top of those shipped with the
        collection, for a decree newer than the collection. A YAML file with C(reviewed_through) (a
        year) and C(days), a list of C(date), C(day) (V(off) or V(working); quote V("off"), which
        YAML otherwise reads as false) and C(decree). It is read like the agency files (regular
        file, at most 2 MiB, no anchors or aliases).
      - A deadline in a year past the latest C(reviewed_through) is computed with a warning.
    type: path
"""
