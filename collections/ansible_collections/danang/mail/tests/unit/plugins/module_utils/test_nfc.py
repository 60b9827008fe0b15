# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One NFC for both systems' names (R-15: precomposed TCVN 6909 text)."""

from __future__ import annotations

import unicodedata

from ansible_collections.danang.mail.plugins.module_utils.vietnamese import nfc


def test_decomposed_vietnamese_becomes_precomposed():
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn Dũng")
    assert decomposed != "Nguyễn Văn Dũng"
    assert nfc(decomposed) == "Nguyễn Văn Dũng"
    assert all(not unicodedata.combining(char) for char in nfc(decomposed))
