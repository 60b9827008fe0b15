# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared option documentation: which mail system a module talks to (backends.systems)."""

from __future__ import annotations


class ModuleDocFragment:
    # With danang.mail.obm and danang.mail.exchange, which document each system's options.
    DOCUMENTATION = r"""
options:
  backend:
    description:
      - The mail system. V(obm) (OpenLDAP, Cyrus IMAP, Postfix) or V(exchange) (Exchange 2016/2019
        and its Active Directory).
    type: str
    choices: [obm, exchange]
    default: obm
"""
