# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers for the two legacy Vietnamese font encodings still found in old HR exports (R-15).

Both arrive as ordinary Latin-1 / cp1252 text, so no decoding error ever warns about them:

* TCVN3 (ABC, TCVN 5712:1993 VN3): one byte per Vietnamese letter in 0xA1-0xFF; only seven
  capitals (Ă Â Ê Ô Ơ Ư Đ) exist, capital toned vowels are the lower-case bytes shown in an
  all-capitals font. "Nguyễn Văn Dũng" shows as ``NguyÔn V¨n Dòng``.
* VNI (VNI-Windows): a plain ASCII base letter followed by a mark byte (``aê`` = ă, ``eã`` = ễ),
  plus a few letters of their own (``ô`` = ơ, ``ö`` = ư, ``ñ`` = đ, ``æ`` = ỉ ...).
  "Nguyễn Văn Dũng" shows as ``Nguyeãn Vaên Duõng``.

The tables were written for this module and checked against public descriptions of the encodings
(glibc's TCVN5712-1 converter, whose 0xA1-0xFF range holds the VN3 letters, and published VNI
tables). These functions only convert; deciding whether the result is Vietnamese is the caller's
job (``vietnamese.legacy_encoding_of``). They return None when the text cannot be that encoding.
"""

from __future__ import annotations

import unicodedata

TCVN3 = "TCVN3"
VNI = "VNI"

_TONES = "\u0300\u0309\u0303\u0301\u0323"  # grave, hook above, tilde, acute, dot below


def _toned(base: str, tone: int) -> str:
    return unicodedata.normalize("NFC", base + _TONES[tone])


# TCVN3: for each lower-case vowel, its five toned forms in the order of _TONES, as Latin-1 bytes.
_TCVN3_TONED: dict[str, bytes] = {
    "a": b"\xb5\xb6\xb7\xb8\xb9",
    "ă": b"\xbb\xbc\xbd\xbe\xc6",
    "â": b"\xc7\xc8\xc9\xca\xcb",
    "e": b"\xcc\xce\xcf\xd0\xd1",
    "ê": b"\xd2\xd3\xd4\xd5\xd6",
    "i": b"\xd7\xd8\xdc\xdd\xde",
    "o": b"\xdf\xe1\xe2\xe3\xe4",
    "ô": b"\xe5\xe6\xe7\xe8\xe9",
    "ơ": b"\xea\xeb\xec\xed\xee",
    "u": b"\xef\xf1\xf2\xf3\xf4",
    "ư": b"\xf5\xf6\xf7\xf8\xf9",
    "y": b"\xfa\xfb\xfc\xfd\xfe",
}
_TCVN3_PLAIN = dict(
    zip(b"\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae", "ĂÂÊÔƠƯĐăâêôơưđ", strict=True)
)


def _tcvn3_table() -> dict[str, str]:
    table = {chr(byte): letter for byte, letter in _TCVN3_PLAIN.items()}
    for base, codes in _TCVN3_TONED.items():
        for tone, byte in enumerate(codes):
            table[chr(byte)] = _toned(base, tone)
    return table


TCVN3_TABLE: dict[str, str] = _tcvn3_table()  # Latin-1 character -> Vietnamese letter


def decode_tcvn3(text: str) -> str | None:
    """Read ``text`` (TCVN3 bytes shown as Latin-1) as Vietnamese; None if it cannot be TCVN3.

    A word whose ASCII letters are all capitals (at least two) was typed in an all-capitals font,
    so its converted letters are given in capitals too: ``NGUYÔN`` -> ``NGUYỄN``.
    """
    words = []
    for word in text.split(" "):
        letters = []
        for char in word:
            if char in TCVN3_TABLE:
                letters.append(TCVN3_TABLE[char])
            elif "\x80" <= char <= "\xff" and char != "\xa0":
                return None  # a Latin-1 character TCVN3 does not use
            else:
                letters.append(char)
        converted = "".join(letters)
        ascii_letters = [char for char in word if char.isascii() and char.isalpha()]
        if len(ascii_letters) >= 2 and all(char.isupper() for char in ascii_letters):
            converted = converted.upper()
        words.append(converted)
    return " ".join(words)


# VNI: mark bytes written after their base letter -> (vowel modifier, tone index or None).
_CIRCUMFLEX, _BREVE = "\u0302", "\u0306"
_VNI_MARKS: dict[str, tuple[str, int | None]] = {
    "ù": ("", 3), "ø": ("", 0), "û": ("", 1), "õ": ("", 2), "ï": ("", 4),
    "â": (_CIRCUMFLEX, None), "á": (_CIRCUMFLEX, 3), "à": (_CIRCUMFLEX, 0),
    "å": (_CIRCUMFLEX, 1), "ã": (_CIRCUMFLEX, 2), "ä": (_CIRCUMFLEX, 4),
    "ê": (_BREVE, None), "é": (_BREVE, 3), "è": (_BREVE, 0),
    "ú": (_BREVE, 1), "ü": (_BREVE, 2), "ë": (_BREVE, 4),
}  # fmt: skip
# VNI letters that stand alone (the capitals are the Latin-1 capitals of these).
_VNI_LETTERS: dict[str, str] = {
    "ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ",
}  # fmt: skip
# Which base letters each kind of mark may follow.
_VNI_BASES = {"": "aeouyơư", _CIRCUMFLEX: "aeo", _BREVE: "a"}


def _vni_apply(base: str, modifier: str, tone: int | None) -> str | None:
    lower = base.lower()
    if lower not in _VNI_BASES[modifier]:
        return None
    letter = unicodedata.normalize("NFC", lower + modifier + (_TONES[tone] if tone is not None else ""))
    return letter.upper() if base.isupper() else letter


def decode_vni(text: str) -> str | None:
    """Read ``text`` (VNI-Windows bytes shown as Latin-1) as Vietnamese; None if it cannot be VNI."""
    out: list[str] = []
    for char in text:
        lower = char.lower()
        if lower in _VNI_LETTERS:
            letter = _VNI_LETTERS[lower]
            out.append(letter.upper() if char.isupper() else letter)
        elif lower in _VNI_MARKS:
            modifier, tone = _VNI_MARKS[lower]
            combined = _vni_apply(out[-1], modifier, tone) if out else None
            if combined is None:
                return None
            out[-1] = combined
        elif "\x80" <= char <= "\xff" and char != "\xa0":
            return None
        else:
            out.append(char)
    return "".join(out)


DECODERS = ((TCVN3, decode_tcvn3), (VNI, decode_vni))
DESCRIPTIONS = {TCVN3: "TCVN3 (ABC)", VNI: "VNI"}
