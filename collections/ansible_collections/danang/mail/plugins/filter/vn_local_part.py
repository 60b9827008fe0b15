# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter ``danang.mail.vn_local_part``: the personal mailbox local part of a name (R-12, R-15).

Documentation is in the sidecar file ``vn_local_part.yml``.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible.errors import AnsibleFilterError
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import InvalidName, person_local_part


def vn_local_part(
    full_name: Any = None,
    family_name: Any = None,
    middle_name: Any = None,
    given_name: Any = None,
) -> str:
    """``"Nguyễn Văn Dũng" | danang.mail.vn_local_part`` -> ``"dungnv"``; explicit parts win."""
    try:
        return person_local_part(
            full_name, family_name=family_name, middle_name=middle_name, given_name=given_name
        )
    except InvalidName as exc:
        raise AnsibleFilterError(f"vn_local_part: invalid {exc.field}: {exc.message}") from exc


class FilterModule:
    """Vietnamese name filters of the danang.mail collection."""

    def filters(self) -> dict[str, Callable[..., str]]:
        return {"vn_local_part": vn_local_part}
