# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Our own definitions of the Exchange cmdlets the backend uses, their binder and implementations.

- ``binder.py``: parameter sets, PowerShell's binding rules, Exchange's parameter types (``types.py``);
- ``definitions.py``: the cmdlets' sets, types and mandatory flags (cross-checked with Microsoft's
  reference by lab/exchange_lab/test_cmdlet_definitions.py);
- ``engine.py``: runs a PSRP pipeline in no-language mode (cmdlets only), errors as PowerShell does;
- ``mailbox.py``, ``users.py``, ``organization.py``, ``inbox.py``, ``permissions.py``, ``exports.py``:
  what each cmdlet does (``permission_definitions.py``, ``export_definitions.py``: the permission and
  mailbox export request cmdlets' sets);
- ``objects.py``: output objects shaped like remote PowerShell's Exchange objects.
"""
