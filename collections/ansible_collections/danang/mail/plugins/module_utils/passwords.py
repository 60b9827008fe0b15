# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Passwords: generating initial passwords and checking passwords against the regulation (R-42, R-43, R-45).

Generation (R-42, R-45)
-----------------------
``generate_password`` draws from ``secrets`` only. An initial password is read off a printed list,
dictated over the phone or copied by hand by someone who does not know which characters we use, so
the alphabet leaves out *both* sides of every pair that gets mistaken for each other (0/O/o, 1/l/I/|,
5/S/s, 2/Z/z, 8/B). For 6/G/b and 9/g/q only the letters go: a printed 6 or 9 is unambiguous, and
the digit class keeps five members instead of three.

=========  ============================  =====================================================
class      alphabet                      left out, and why
=========  ============================  =====================================================
upper      ``A E H K L M N P R T Y``     B/8, D/0, G/6, I/1/l, O/0, Q/O, S/5, Z/2; C U V W X
                                         (same shape as their lower case on paper); J (read
                                         "gi" in Vietnamese, and i/j/l); F (Telex tone key)
lower      ``a d e h k m n p t y``       b/6, g/9/q, i/j/l/1, o/0, q/9/g, s/5, z/2; c u v w x
                                         (as above); r ("rn" reads as "m"); f (Telex)
digit      ``3 4 6 7 9``                 0 1 2 5 8 (O, l/I, Z, S, B)
special    ``+ - = / _``                 see below
=========  ============================  =====================================================

Specials: an operator copies a password into a YAML file, a CSV hand-over list or a shell, and reads
it out in Vietnamese ("cộng", "gạch ngang", "bằng", "gạch chéo", "gạch dưới" are all distinct). Left
out: single and double quotes and the backtick (look alike; break YAML, CSV and shell quoting);
``$ ! & * ? # ; | < > ( ) [ ] { } \\`` (shell expansion, history, globbing, redirection, comments;
``|`` also looks like 1/l/I); ``: , %`` (a colon followed by a space or at the end starts a YAML
mapping, a comma splits CSV, ``%`` breaks INI interpolation and Windows shells); ``. ,`` and ``: ;``
(lost or swapped on paper); ``@`` (the hand-over line also holds an address); ``^ ~`` (dead keys on
many keyboard layouts; ``~`` expands in a shell); space. The five kept are safe inside YAML plain
scalars, CSV fields and unquoted shell words, but ``+ - =`` start a CSV formula and ``-`` an option
of a shell command: so **the first character is never a special character**.

Vietnamese input methods: with Unikey/EVKey in Telex mode, ``s f r x j`` after a vowel add a tone and
``w`` or a doubled ``a e o d`` change a letter; in VNI mode a digit after a vowel does. The alphabet has
no ``s f r x j w z`` (except upper-case R), but doubled vowels and VNI digits cannot all be avoided:
the hand-over tells people to switch the input method to English ("E") before typing the password.

The distribution is uniform over all strings of the alphabet that satisfy the rules: each character
is drawn with ``secrets.choice`` (``randbelow`` underneath: no modulo bias), and the whole password is
drawn again when a class is missing (rejection sampling; about 86 % of 16-character draws are
accepted). The alphabet has 31 characters: a 16-character password carries about 78 bits, a
12-character one about 58.

Checks (R-42, R-43)
-------------------
``password_problems`` lists one readable problem per broken rule and never quotes the password, or
the part of it that matched: messages may be logged. Upper and lower case are Unicode letter cases,
digits are Unicode decimal digits, and a special character is any other visible character (neither
letter nor digit nor white space nor control character). Personal data is matched case-insensitively
after folding Vietnamese to ASCII (``vietnamese.fold_to_ascii``), so "Dũng" blocks ``DUNG`` and ``dung``.

Randomly generated passwords can by chance contain a short name (``tam``, ``anh``) or a date:
``generate_password_for`` draws again until ``password_problems`` finds nothing for the holder.
"""

from __future__ import annotations

import datetime
import re
import secrets
import unicodedata
from collections.abc import Iterable
from typing import Optional, Union

from ansible_collections.danang.mail.plugins.module_utils.vietnamese import fold_to_ascii, normalise_text

MIN_LENGTH = 12
DEFAULT_LENGTH = 16
MIN_NAME_WORD = 3  # name words of three letters or more are refused in a password

UPPER = "AEHKLMNPRTY"
LOWER = "adehkmnpty"
DIGITS = "34679"
SPECIAL = "+-=/_"
ALPHABET = UPPER + LOWER + DIGITS + SPECIAL
FIRST_CHARACTERS = UPPER + LOWER + DIGITS  # never a special first: CSV formulas, shell options
CLASSES = (UPPER, LOWER, DIGITS, SPECIAL)

_MAX_DRAWS = 1000  # a valid password is accepted with probability > 0.7 per draw; 1000 never run out


def _draw(length: int) -> str:
    rest = "".join(secrets.choice(ALPHABET) for _position in range(length - 1))
    return secrets.choice(FIRST_CHARACTERS) + rest


def _has_every_class(password: str) -> bool:
    return all(any(char in chars for char in password) for chars in CLASSES)


def generate_password(length: int = DEFAULT_LENGTH) -> str:
    """A random password of ``length`` characters (at least 12) with every class present (R-42, R-45)."""
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError("length must be an integer")
    if length < MIN_LENGTH:
        raise ValueError(f"a password has at least {MIN_LENGTH} characters (R-42); asked for {length}")
    for _attempt in range(_MAX_DRAWS):
        password = _draw(length)
        if _has_every_class(password):
            return password
    raise RuntimeError("could not draw a password with every character class")  # pragma: no cover


def generate_password_for(
    length: int = DEFAULT_LENGTH,
    *,
    names: Union[str, Iterable[str]] = (),
    birth_date: Union[datetime.date, str, None] = None,
    phone: Union[str, int, None] = None,
) -> str:
    """``generate_password`` drawn again until it holds none of the holder's personal data (R-43)."""
    for _attempt in range(_MAX_DRAWS):
        password = generate_password(length)
        if not password_problems(password, names=names, birth_date=birth_date, phone=phone):
            return password
    raise RuntimeError("could not draw a password free of the holder's personal data")  # pragma: no cover


# --- Checks ---------------------------------------------------------------------------------


def _is_special(char: str) -> bool:
    if char.isalpha() or char.isdecimal() or char.isspace():
        return False
    return unicodedata.category(char)[0] not in ("C", "Z")  # control, format, unassigned; separators


_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


def _name_words(names: Union[str, Iterable[str]]) -> set[str]:
    """Every word of three letters or more in ``names``, folded to lower-case ASCII."""
    if isinstance(names, str):
        names = (names,)
    words: set[str] = set()
    for name in names:
        if not name:
            continue
        if not isinstance(name, str):
            raise TypeError("names must be strings")
        folded = fold_to_ascii(normalise_text(name)).lower()
        words.update(word for word in _WORD_SPLIT.split(folded) if len(word) >= MIN_NAME_WORD)
    return words


_DATE_SEPARATORS = ("", "-", "/", ".", " ", "_")


def _date_forms(day: datetime.date) -> set[str]:
    """The ways people write ``day``: day-month-year, year-month-day and month-day-year, with or
    without separators and leading zeros, with a four- or two-digit year; the day and month alone;
    the four-digit year alone. Forms shorter than four digits are left out (too many accidents)."""
    days = {f"{day.day:02d}", str(day.day)}
    months = {f"{day.month:02d}", str(day.month)}
    years = {f"{day.year:04d}", f"{day.year % 100:02d}"}
    forms: set[str] = {f"{day.year:04d}"}
    for sep in _DATE_SEPARATORS:
        for d in days:
            for m in months:
                for y in years:
                    forms.update((sep.join((d, m, y)), sep.join((y, m, d)), sep.join((m, d, y))))
                forms.update((sep.join((d, m)), sep.join((m, d))))
    return {form for form in forms if sum(c.isdigit() for c in form) >= 4}


def _as_date(value: Union[datetime.date, str]) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("birth_date must be a date (YYYY-MM-DD)") from None
    raise TypeError("birth_date must be a datetime.date")


_PHONE_NOISE = re.compile(r"[\s.\-/_()]+")
PHONE_DIGITS = 9  # a Vietnamese mobile number without its leading 0 (or 84) has 9 digits


def _phone_core(phone: Union[str, int]) -> Optional[str]:
    """The national number without the trunk 0 or the country code 84, or its last 9 digits."""
    text = _PHONE_NOISE.sub("", str(phone))
    if text.startswith("+"):
        text = text[1:]
    if text.startswith("0084"):
        text = text[4:]
    elif text.startswith("84") and len(text) >= 11:
        text = text[2:]
    text = text.lstrip("0")
    if not text.isdigit():
        raise ValueError("phone must hold only digits, spaces, dots, dashes and a leading +")
    if len(text) >= PHONE_DIGITS:
        return text[-PHONE_DIGITS:]
    return text if len(text) >= 6 else None  # short numbers (extensions) match as a whole


# Each rule's code (the self-service page shows it in the reader's language) and its English text.
PROBLEM_MESSAGES: dict[str, str] = {
    "too_short": f"is shorter than {MIN_LENGTH} characters (R-42)",
    "no_upper": "has no upper-case letter (R-42)",
    "no_lower": "has no lower-case letter (R-42)",
    "no_digit": "has no digit (R-42)",
    "no_special": "has no special character (R-42)",
    "name": f"contains a word of the holder's name ({MIN_NAME_WORD} letters or more) (R-43)",
    "birth_date": "contains the holder's date of birth (R-43)",
    "phone": "contains the holder's phone number (R-43)",
}


def password_problem_codes(
    password: str,
    *,
    names: Union[str, Iterable[str]] = (),
    birth_date: Union[datetime.date, str, None] = None,
    phone: Union[str, int, None] = None,
) -> list[str]:
    """The codes (keys of ``PROBLEM_MESSAGES``) of the rules of R-42 and R-43 ``password`` breaks,
    in that table's order: empty when it is acceptable. Arguments as ``password_problems``."""
    if not isinstance(password, str):
        raise TypeError("password must be a string")
    codes: list[str] = []
    if len(password) < MIN_LENGTH:
        codes.append("too_short")
    if not any(c.isupper() for c in password):
        codes.append("no_upper")
    if not any(c.islower() for c in password):
        codes.append("no_lower")
    if not any(c.isdecimal() for c in password):
        codes.append("no_digit")
    if not any(_is_special(c) for c in password):
        codes.append("no_special")

    folded = fold_to_ascii(unicodedata.normalize("NFC", password)).lower()
    if any(word in folded for word in _name_words(names)):
        codes.append("name")
    if birth_date is not None and any(form in password for form in _date_forms(_as_date(birth_date))):
        codes.append("birth_date")
    if phone is not None and phone != "":
        core = _phone_core(phone)
        if core is not None and core in _PHONE_NOISE.sub("", password):
            codes.append("phone")
    return codes


def password_problems(
    password: str,
    *,
    names: Union[str, Iterable[str]] = (),
    birth_date: Union[datetime.date, str, None] = None,
    phone: Union[str, int, None] = None,
) -> list[str]:
    """What is wrong with ``password`` under R-42 and R-43, in English: empty when it is acceptable.

    ``names``: the holder's names, whole strings or words ("Nguyễn Văn Dũng"); ``birth_date``: a
    ``datetime.date`` (or ISO string); ``phone``: as stored ("0905 123 456", "+84 905.123.456").
    """
    codes = password_problem_codes(password, names=names, birth_date=birth_date, phone=phone)
    return [PROBLEM_MESSAGES[code] for code in codes]
