# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test only: moves the clock of a Python process started with this directory on PYTHONPATH to
DANANG_TEST_NOW (an ISO time with its offset), ticking from there.

The collection has no clock option in its public interface. Tests that judge passwords "months
later" run ansible-playbook with this directory on PYTHONPATH and DANANG_TEST_NOW set; the modules,
started by the local connection with the controller's environment, import this file too, so the
whole run happens at that moment (``clock.at`` in this directory builds that environment).
"""

from __future__ import annotations

import datetime
import os

_WHEN = os.environ.get("DANANG_TEST_NOW")
if _WHEN:
    import time_machine

    # A timestamp, not an aware datetime: time-machine would set TZ to the datetime's zone.
    time_machine.travel(datetime.datetime.fromisoformat(_WHEN).timestamp(), tick=True).start()
