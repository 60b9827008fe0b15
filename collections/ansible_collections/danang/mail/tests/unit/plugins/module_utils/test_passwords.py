# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""passwords: generation statistics and every problem rule (R-42, R-43, R-45)."""

from __future__ import annotations

import datetime
import math
import unicodedata
from collections import Counter

import pytest
from ansible_collections.danang.mail.plugins.module_utils import passwords
from ansible_collections.danang.mail.plugins.module_utils.passwords import (
    ALPHABET,
    CLASSES,
    DIGITS,
    FIRST_CHARACTERS,
    LOWER,
    SPECIAL,
    UPPER,
    generate_password,
    generate_password_for,
    password_problems,
)
from hypothesis import given, settings
from hypothesis import strategies as st

GOOD = "Tk7=mhEa/N4d"  # 12 characters, every class, no personal data
SAMPLE = 5000
BIRTH = datetime.date(1985, 3, 5)
DUNG = "Nguyễn Văn Dũng"


@pytest.fixture(scope="module")
def sample() -> list[str]:
    return [generate_password() for _number in range(SAMPLE)]


# --- The alphabet ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "char",
    [*"0Oo1lIi|5Ss2Zz8BGbgqQDjJCcUuVvWwXxFfr", *"'\"`$!&*?#;:,% \\()[]{}<>@.^~"],
)
def test_alphabet_leaves_out_look_alikes_and_troublesome_characters(char):
    assert char not in ALPHABET


def test_alphabet_classes_are_disjoint_ascii_and_named_in_the_docstring():
    assert len(set(ALPHABET)) == len(ALPHABET) == sum(len(chars) for chars in CLASSES)
    assert ALPHABET.isascii() and ALPHABET.isprintable()
    assert all(c.isupper() for c in UPPER) and all(c.islower() for c in LOWER)
    assert all(c.isdigit() for c in DIGITS) and not any(c.isalnum() for c in SPECIAL)
    doc = passwords.__doc__
    for chars in CLASSES:
        assert " ".join(chars) in doc  # the documented alphabet is the one in use
    assert not set(FIRST_CHARACTERS) & set(SPECIAL)


def test_generated_passwords_pass_their_own_checks(sample):
    for password in sample[:500]:
        assert password_problems(password) == []


# --- Generation statistics ------------------------------------------------------------------


def test_length_alphabet_and_every_class(sample):
    for password in sample:
        assert len(password) == 16
        assert set(password) <= set(ALPHABET)
        for chars in CLASSES:
            assert set(password) & set(chars), password
        assert password[0] in FIRST_CHARACTERS


def test_no_duplicates(sample):
    assert len(set(sample)) == len(sample)  # different accounts get different passwords


@pytest.mark.parametrize("length", [12, 13, 20, 64])
def test_other_lengths(length):
    for _attempt in range(300):
        password = generate_password(length)
        assert len(password) == length and password_problems(password) == []


@pytest.mark.parametrize("length", [-1, 0, 8, 11])
def test_refuses_short_lengths(length):
    with pytest.raises(ValueError, match="at least 12"):
        generate_password(length)


@pytest.mark.parametrize("length", ["16", 16.0, True, None])
def test_refuses_non_integer_lengths(length):
    with pytest.raises(TypeError):
        generate_password(length)


def _chi_square(counts: Counter, symbols: str, total: int) -> float:
    expected = total / len(symbols)
    return sum((counts.get(s, 0) - expected) ** 2 / expected for s in symbols)


def _chi_square_limit(degrees: int) -> float:
    """A bound the statistic exceeds with probability well below 1e-6 (Wilson-Hilferty, z = 5.5)."""
    z = 5.5
    return degrees * (1 - 2 / (9 * degrees) + z * math.sqrt(2 / (9 * degrees))) ** 3


def test_every_position_is_roughly_uniform(sample):
    """Each position uses its alphabet about evenly. Rejection sampling leans slightly towards the
    rarer classes (digits, specials) - by a few percent, within the bound here - so the check is
    per position over the whole alphabet, with a generous bound (false alarm < 1e-6)."""
    for position in range(16):
        symbols = FIRST_CHARACTERS if position == 0 else ALPHABET
        counts = Counter(password[position] for password in sample)
        assert set(counts) <= set(symbols)
        statistic = _chi_square(counts, symbols, len(sample))
        assert statistic < _chi_square_limit(len(symbols) - 1), (position, statistic)


def test_uniform_within_each_class_and_near_uniform_across(sample):
    """Within a class every character is equally likely. Across classes, rejecting draws that lack a
    class makes digits and specials a few percent more frequent than letters: bounded here (10 %)."""
    counts = Counter("".join(password[1:] for password in sample))
    expected = SAMPLE * 15 / len(ALPHABET)
    for chars in CLASSES:
        mean = sum(counts[c] for c in chars) / len(chars)
        assert abs(mean - expected) / expected < 0.10, chars
        for char in chars:
            assert abs(counts[char] - mean) / mean < 0.10, char


def test_uses_secrets(monkeypatch):
    calls = []
    real_choice = passwords.secrets.choice

    def spy(seq):
        calls.append(seq)
        return real_choice(seq)

    monkeypatch.setattr(passwords.secrets, "choice", spy)
    generate_password()
    assert len(calls) >= 16


def test_generate_for_a_holder_avoids_their_data(monkeypatch):
    draws = iter(["Tam4=dhkYeNp/7aM", "Tk7=mhEa/N4dPHay"])  # the first holds "tam"
    monkeypatch.setattr(passwords, "generate_password", lambda length=16: next(draws))
    assert generate_password_for(names=["Lê Thị Tâm"]) == "Tk7=mhEa/N4dPHay"


def test_generate_for_a_holder_is_clean():
    for _attempt in range(200):
        password = generate_password_for(12, names=["Nguyễn Văn Tâm", "Hà Anh"], birth_date=BIRTH)
        assert password_problems(password, names=["Nguyễn Văn Tâm", "Hà Anh"], birth_date=BIRTH) == []


# --- Problem rules: R-42 --------------------------------------------------------------------


def test_acceptable_password_has_no_problems():
    assert password_problems(GOOD) == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Tk7=mhEa/N4", "shorter than 12"),
        ("tk7=mhea/n4dd", "no upper-case"),
        ("TK7=MHEA/N4DD", "no lower-case"),
        ("Tkx=mhEa/Nydd", "no digit"),
        ("Tk7xmhEaoN4dd", "no special"),
    ],
)
def test_each_r42_rule(password, problem):
    problems = password_problems(password)
    assert len(problems) == 1 and problem in problems[0] and "R-42" in problems[0]


def test_all_r42_problems_at_once():
    problems = password_problems("abc")
    assert problems == [
        "is shorter than 12 characters (R-42)",
        "has no upper-case letter (R-42)",
        "has no digit (R-42)",
        "has no special character (R-42)",
    ]
    assert len(password_problems("")) == 5


@pytest.mark.parametrize("special", [" x", "\u00a0x", "\tx", "\u200bx"])
def test_white_space_and_invisible_characters_are_not_special(special):
    assert "has no special character (R-42)" in password_problems("Tk7xmhEaN4dd" + special)


@pytest.mark.parametrize("special", [*"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", "€", "«", "•"])
def test_any_visible_symbol_is_special(special):
    assert password_problems("Tk7xmhEaN4dd" + special) == []


def test_vietnamese_letters_count_as_letters():
    assert password_problems("ĐẶNG7=mhea/n4") == []
    assert "has no lower-case letter (R-42)" in password_problems("ĐẶNGTHỊ7=/44")


# --- Problem rules: R-43 name ---------------------------------------------------------------

NAME = "contains a word of the holder's name (3 letters or more) (R-43)"


@pytest.mark.parametrize("password", ["Ab7=DUNG/x4kk", "Ab7=dung/x4kk", "Ab7=DuNg/x4kk", "Ab7=dũng/x4kk"])
def test_name_word_blocks_in_any_case_and_folded(password):
    assert password_problems(password, names=[DUNG]) == [NAME]


@pytest.mark.parametrize("names", [[DUNG], DUNG, ["Nguyễn", "Văn", "Dũng"], ["NGUYỄN VĂN DŨNG"]])
def test_names_as_full_strings_or_words(names):
    assert password_problems("Ab7=xnguyen/4k", names=names) == [NAME]
    assert password_problems("Ab7=Van/kk4kxx", names=names) == [NAME]


def test_decomposed_name_matches():
    decomposed = unicodedata.normalize("NFD", DUNG)
    assert password_problems("Ab7=DUNG/x4kk", names=[decomposed]) == [NAME]
    assert password_problems(unicodedata.normalize("NFD", "Ab7=dũng/x4kk"), names=[DUNG]) == [NAME]


def test_d_with_stroke_folds_to_d():
    assert password_problems("Ab7=DAT/x4kkmm", names=["Lê Tiến Đạt"]) == [NAME]
    assert password_problems("Ab7=ĐẠT/x4kkmm", names=["Le Tien Dat"]) == [NAME]


def test_short_name_words_are_allowed():
    # "Lê", "Đỗ", "Hà" are two letters: too common as parts of words to refuse
    assert password_problems("Ab7=LeDoHa/x4kk", names=["Đỗ Thị Hà", "Lê"]) == []


def test_apostrophe_and_hyphen_split_name_words():
    assert password_problems("Ab7=maryam/x4kk", names=["H'Maryam Niê"]) == [NAME]
    assert password_problems("Ab7=Alo/x4kkmmm", names=["Alê-ô"]) == []  # "ale", "o": none inside


def test_no_names_no_name_problem():
    assert password_problems("Ab7=DUNG/x4kk") == []
    assert password_problems("Ab7=DUNG/x4kk", names=["", "  "]) == []


def test_name_message_does_not_quote_the_name_or_password():
    (problem,) = password_problems("Ab7=DUNG/x4kk", names=[DUNG])
    assert "dung" not in problem.lower() and "Ab7" not in problem


@given(st.sampled_from(["Dũng", "Nguyễn", "Phương", "Hoàng", "Trần", "Quỳnh", "Đức", "Thủy"]), st.data())
@settings(max_examples=200, deadline=None)
def test_any_case_of_a_folded_name_is_blocked(word, data):
    from ansible_collections.danang.mail.plugins.module_utils.vietnamese import fold_to_ascii

    ascii_word = fold_to_ascii(word)
    flips = data.draw(st.lists(st.booleans(), min_size=len(ascii_word), max_size=len(ascii_word)))
    cased = "".join(c.upper() if flip else c.lower() for c, flip in zip(ascii_word, flips, strict=True))
    prefix = data.draw(st.text(alphabet=ALPHABET, max_size=6))
    assert NAME in password_problems(prefix + cased + "Ab7=x4kkkk", names=[f"Lê {word}"])


# --- Problem rules: R-43 birth date ---------------------------------------------------------

BIRTHDAY = "contains the holder's date of birth (R-43)"


@pytest.mark.parametrize(
    "form",
    [
        "05031985",  # ddmmyyyy
        "050385",  # ddmmyy
        "19850305",  # yyyymmdd
        "850305",  # yymmdd
        "05/03/1985",
        "05-03-1985",
        "05.03.1985",
        "5/3/1985",  # without leading zeros, as people write them
        "5.3.85",
        "531985",
        "1985-03-05",
        "1985/3/5",
        "03/05/1985",  # month first
        "0503",  # day and month
        "1985",  # the year
    ],
)
def test_birth_date_forms(form):
    assert password_problems(f"Tk=Ma{form}hEyP", birth_date=BIRTH) == [BIRTHDAY]


@pytest.mark.parametrize("other", ["06041986", "1958", "0603", "3051", "TkMa"])
def test_other_dates_pass(other):
    assert password_problems(f"Tk=Ma{other}hEy4P", birth_date=BIRTH) == []


def test_birth_date_as_iso_string_and_datetime():
    assert password_problems("Tk=Ma05031985", birth_date="1985-03-05") == [BIRTHDAY]
    assert password_problems("Tk=Ma05031985", birth_date=datetime.datetime(1985, 3, 5, 8, 0)) == [BIRTHDAY]
    with pytest.raises(ValueError, match="birth_date"):
        password_problems(GOOD, birth_date="5/3/1985")


def test_two_digit_fragments_do_not_count():
    # day 5, month 3: "53" alone is not a date form (too short to be meaningful)
    assert password_problems("Tk=Ma53hEyPn4", birth_date=BIRTH) == []


@given(st.dates(min_value=datetime.date(1940, 1, 1), max_value=datetime.date(2010, 12, 31)))
@settings(max_examples=200, deadline=None)
def test_any_birth_date_in_ddmmyyyy_is_found(day):
    password = f"Tk=M{day:%d%m%Y}hEyP"
    assert BIRTHDAY in password_problems(password, birth_date=day)
    assert BIRTHDAY in password_problems(f"Tk=M{day:%Y-%m-%d}hEyP", birth_date=day)


# --- Problem rules: R-43 phone --------------------------------------------------------------

PHONE = "contains the holder's phone number (R-43)"


@pytest.mark.parametrize(
    "stored", ["0905123456", "0905 123 456", "0905.123.456", "+84 905-123-456", "84905123456"]
)
@pytest.mark.parametrize(
    "written", ["0905123456", "+84905123456", "84905123456", "905123456", "0905.123.456", "0905-123-456"]
)
def test_phone_forms(stored, written):
    assert password_problems(f"Tk=M{written}hEyP", phone=stored) == [PHONE]


def test_phone_as_integer_and_landline():
    assert password_problems("Tk=M905123456hEyP", phone=905123456) == [PHONE]
    # Da Nang landline: 0236 3 822 xxx; its last 9 digits
    assert password_problems("Tk=M2363822999hEyP", phone="(0236) 3822 999") == [PHONE]
    assert password_problems("Tk=M363822999hEyP", phone="0236 3822 999") == [PHONE]


def test_part_of_the_phone_number_passes():
    assert password_problems("Tk=M0905hEyP4n", phone="0905 123 456") == []
    assert password_problems("Tk=M12345hEyP4n", phone="0905 123 456") == []


def test_invalid_phone_is_refused():
    with pytest.raises(ValueError, match="phone"):
        password_problems(GOOD, phone="call me")


def test_no_phone_no_problem():
    assert password_problems(GOOD, phone=None) == []
    assert password_problems(GOOD, phone="") == []


def test_every_rule_at_once_and_nothing_of_the_password_in_messages():
    password = "dung05031985905123456"
    problems = password_problems(password, names=[DUNG], birth_date=BIRTH, phone="0905123456")
    assert problems == [
        "has no upper-case letter (R-42)",
        "has no special character (R-42)",
        NAME,
        BIRTHDAY,
        PHONE,
    ]
    for problem in problems:
        for fragment in ("dung", "0503", "1985", "905123"):
            assert fragment not in problem.lower()


ALL_MESSAGES = [
    "is shorter than 12 characters (R-42)",
    "has no upper-case letter (R-42)",
    "has no lower-case letter (R-42)",
    "has no digit (R-42)",
    "has no special character (R-42)",
    NAME,
    BIRTHDAY,
    PHONE,
]


@given(st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_never_crashes_and_never_quotes(password):
    problems = password_problems(password, names=[DUNG], birth_date=BIRTH, phone="0905123456")
    assert set(problems) <= set(ALL_MESSAGES)  # fixed messages: nothing of the password in them


def test_refuses_non_string_password():
    with pytest.raises(TypeError):
        password_problems(None)  # type: ignore[arg-type]
