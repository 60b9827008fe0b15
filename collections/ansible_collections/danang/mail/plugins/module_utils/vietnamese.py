# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Vietnamese names: normalising, validating, and the personal address local part (R-12, R-15).

Local part (R-12) = every word of the given name + the initial of each family-name word + the initial
of each middle-name word, folded to ASCII, lower case: Nguyễn Văn Dũng -> ``dungnv``; Nguyễn Thị
Minh Khai -> ``khaintm``; Lê Lợi -> ``loil``; family "Âu Dương", given "Phong" -> ``phongad``.

A ``full_name`` is read family first: first word family, last word given, the rest middle. Names in
any other order -- Ê Đê and other Central Highlands names put the given name first (H'Maryam Niê),
two-word family names (Âu Dương, Hoàng Phủ, Buôn Krông), two-word given names (Bình Minh) -- need
the explicit ``family_name`` / ``middle_name`` / ``given_name``. When any of those is given they
alone define the name (family and given required); ``full_name`` is then only validated.

Text is Unicode per TCVN 6909 (R-15). The same person always gives the same address: input is NFC
normalised, any letter case is accepted, whitespace runs fold to one space. Anything that is not
valid Vietnamese is refused with ``InvalidName``, never turned into a wrong address: digits,
symbols, control and invisible characters (a zero-width space would silently join two words:
``dungnv`` -> ``dungn``), letters outside the Vietnamese alphabet (Cyrillic, CJK, ç ñ ü ø ...), and
words with Vietnamese marks that are not well-formed syllables (vowel group and tone placement are
checked, consonant clusters are not, so Niê, Krông, Kđăm, Adrơng, Ayŭn pass). A word typed
without marks in a ``full_name`` must be a whole Vietnamese syllable (onset, vowel group, final:
Nguyen, Thuy, Giap); names of other orthographies (Ksor, H'Zen, Black) are given in explicit parts,
where plain words are not checked. A word whose syllables meet vowel to vowel with marks (Alêô) is
refused like VNI text; write the break with a hyphen (Alê-ô: same address) or without marks.

Legacy encodings: text from old TCVN3 (ABC) or VNI exports is refused with a message naming the
encoding and what the text would read as once converted. Residual risk: some legacy words are
valid Vietnamese on their own (``Dòng`` is TCVN3 for Dũng, ``Thò`` is VNI for Thị), so a lone
name can slip through; callers importing many names refuse the whole batch when any one looks
legacy.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass

from ansible_collections.danang.mail.plugins.module_utils.legacy_encodings import DECODERS, DESCRIPTIONS

MAX_LOCAL_PART = 64  # RFC 5321 limit of a local part; the allocator re-checks with its suffix
MAX_NAME_PART = 64  # Active Directory givenName and sn (first_name / last_name of the accounts)

NAME_FIELDS = ("full_name", "family_name", "middle_name", "given_name")

# --- Characters -------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[\t\n\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")  # tab, LF, Zs
_SOFT_HYPHEN = "\u00ad"  # refused, not removed: it is how TCVN3 writes "ư"
_JOINERS = "'\u2019\u02bc-\u2010\u2011"  # apostrophes and hyphens, allowed between letters of a name
_JOINER = re.compile("|".join(map(re.escape, _JOINERS)))
# Punctuation of an organisation name (Phòng Tài chính - Kế hoạch; Trung tâm CNTT & TT (số 2)): no
# < > { } ` " = + @ ; : etc., which mean something in HTML, Markdown, CSV formulas or templates.
_PUNCTUATION = frozenset("-,.()/&'\u2013\u2014\u2018\u2019\u201c\u201d")
_D_FOLD = str.maketrans("ĐđÐð", "DdDd")

_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # grave, acute, tilde, hook above, dot below
_VOWEL_BASES = "aăâeêioôơuưy"
_BREVE_VOWELS = "ĕĭŏŭ"  # Central Highlands orthographies (Ayŭn); letters, no tone
_CONSONANTS = frozenset("bcdđghklmnpqrstvx")
_FOREIGN_ASCII = frozenset("fjwz")  # accepted only in words without Vietnamese marks


def _vowel_table() -> dict[str, tuple[str, bool]]:
    """Each lower-case vowel letter -> (vowel without tone, whether it carries a tone)."""
    table = {base: (base, False) for base in _VOWEL_BASES + _BREVE_VOWELS}
    for base in _VOWEL_BASES:
        for mark in _TONE_MARKS:
            table[unicodedata.normalize("NFC", base + mark)] = (base, True)
    return table


_VOWELS = _vowel_table()

# Vowel groups (nuclei, with the glides that close them) -> positions where the tone may sit.
# Old and new placement are both accepted where usage differs (hòa/hoà, thúy/thuý).
_ON_FIRST = "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ui ưa ưi ưu"
_ON_SECOND = "iê yê uô ươ uâ uê uơ oă iêu yêu oai oay oao oeo uây uôi ươi ươu uya uyu"
_NUCLEI: dict[str, frozenset[int]] = {
    **{n: frozenset({0}) for n in _ON_FIRST.split()},
    **{n: frozenset({1}) for n in _ON_SECOND.split()},
    **{n: frozenset({0, 1}) for n in ("oa", "oe", "uy", "oo")},
    "uyê": frozenset({2}),
}


class InvalidName(ValueError):
    """A name or text that is not valid Vietnamese Unicode (R-15); ``str(exc) == exc.message``."""

    def __init__(
        self, field: str, message: str, legacy_encoding: str | None = None, converted: str | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.legacy_encoding = legacy_encoding
        self.converted = converted

    def __reduce__(self):  # type: ignore[no-untyped-def]  # keep the fields through pickling
        return (InvalidName, (self.field, self.message, self.legacy_encoding, self.converted))


# --- Public helpers -------------------------------------------------------------------------


def nfc(text: str) -> str:
    """Vietnamese text as TCVN 6909 wants it: precomposed Unicode (R-15)."""
    return unicodedata.normalize("NFC", text)


def normalise_text(text: str) -> str:
    """NFC, whitespace runs folded to one space, stripped (invisible characters are kept, to be refused)."""
    text = unicodedata.normalize("NFC", text)
    return _WHITESPACE.sub(" ", text).strip(" ")


def fold_to_ascii(text: str) -> str:
    """Drop the marks of every letter and fold Đ/đ/Ð/ð to d: ``"Đặng Thị Ŏ" -> "Dang Thi O"``."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_FOLD))
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def legacy_encoding_of(text: str) -> tuple[str, str] | None:
    """``(encoding, converted)`` when ``text`` is not valid Vietnamese but reads as such once
    converted from TCVN3 or VNI: ``"NguyÔn V¨n Dòng" -> ("TCVN3", "Nguyễn Văn Dũng")``."""
    text = normalise_text(text)
    if _text_problem(text) is None:
        return None
    for encoding, decode in DECODERS:
        converted = decode(text)
        if converted is not None and converted != text and _text_problem(converted) is None:
            return encoding, converted
    return None


def check_vietnamese_text(text: str, field: str) -> str:
    """Normalise an agency or department name and refuse legacy or invalid text (R-15).

    Letters, spaces, ASCII digits and the punctuation of ``_PUNCTUATION`` are allowed, starting with
    a letter or digit (never ``= + - @``, which a spreadsheet runs as a formula); every word must be
    Vietnamese. Returns the normalised text; raises ``InvalidName`` naming ``field``.
    """
    if not isinstance(text, str):
        raise InvalidName(field, f"{text!r} is not text")
    normalised = normalise_text(text)
    if not normalised:
        raise InvalidName(field, "the text is empty")
    problem = _text_problem(normalised)
    if problem is not None:
        _refuse(field, normalised, problem)
    return normalised


# --- Validation -------------------------------------------------------------------------------


_NAME_CHARS = "a name has only letters, spaces, apostrophes and hyphens"
_TEXT_CHARS = (
    "a name has only letters, digits 0-9, spaces and - , . ( ) / & ' (or typographic quotes and dashes)"
)


def _char_problem(char: str, where: str, allowed: str) -> str:
    """Why ``char`` (not a Vietnamese letter, not ``allowed``) makes ``where`` invalid."""
    category = unicodedata.category(char)
    if char == _SOFT_HYPHEN:
        return f"{where!r} contains a soft hyphen (U+00AD), which is how TCVN3 text writes 'ư'"
    if category == "Cc" or category in ("Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
        described = unicodedata.name(char, "a control character")
        return (
            f"{where!r} contains the invisible character U+{ord(char):04X} ({described}): delete it "
            "(it would silently join or split words of the address)"
        )
    described = f"{char!r} ({unicodedata.name(char, f'U+{ord(char):04X}')})"
    if category.startswith("N"):
        return f"{where!r} contains the digit {described}: {allowed}"
    if category.startswith("L"):
        return f"{where!r} contains {described}, which is not a letter of the Vietnamese alphabet"
    if category.startswith("M"):
        return f"{where!r} contains the combining mark {described}, which is not on a Vietnamese letter"
    return f"{where!r} contains {described}: {allowed}"


def _is_letter(char: str) -> bool:
    lower = char.lower()
    return lower in _VOWELS or lower in _CONSONANTS or lower in _FOREIGN_ASCII or lower == "ð"


def _foreign_letter_problem(word: str) -> str | None:
    """f, j, w, z are accepted only in words without Vietnamese marks."""
    foreign = [char for char in word if char.lower() in _FOREIGN_ASCII]
    if foreign and not word.isascii():
        return f"{word!r} has Vietnamese marks and the letter {foreign[0]!r}, which Vietnamese does not use"
    return None


def _word_problem(word: str) -> str | None:
    """Why a run of letters is not a Vietnamese word, or None (case, letters, vowel groups)."""
    if word.isascii():
        return None  # names typed without diacritics; f, j, w, z allowed
    problem = _foreign_letter_problem(word)
    if problem:
        return problem
    for index, char in enumerate(word):
        if index and not char.isascii() and char.isupper() and any(c.islower() for c in word):
            return f"{word!r} has the capital {char!r} inside the word"
    lower = word.lower()
    index = 0
    while index < len(lower):
        if lower[index] not in _VOWELS:
            index += 1
            continue
        start = index
        while index < len(lower) and lower[index] in _VOWELS:
            index += 1
        problem = _vowel_group_problem(word, lower[start:index], lower[start - 1] if start else "")
        if problem:
            return problem
    return None


def _vowel_group_problem(word: str, group: str, before: str) -> str | None:
    vowels = [_VOWELS[char] for char in group]
    tones = [position for position, (_base, toned) in enumerate(vowels) if toned]
    if len(tones) > 1:
        return f"{word!r} is not a Vietnamese syllable: more than one tone mark on {group!r}"
    if group.isascii():
        return None  # nothing to check: no tone, no vowel marks
    if any(base in _BREVE_VOWELS for base, _toned in vowels):
        return None  # Central Highlands orthography; untoned (a toned breve is not a letter)
    onset = (before == "q" and vowels[0][0] == "u") or (before == "g" and vowels[0][0] == "i")
    # ... and Central Highlands "y" before another vowel (Byă); Vietnamese "yê" keeps its y.
    onset = onset or (vowels[0][0] == "y" and len(vowels) > 1 and not vowels[1][1] and vowels[1][0] != "ê")
    if len(vowels) > 1 and onset:
        if vowels[0][1]:
            return f"{word!r} is not a Vietnamese syllable: the tone mark is on the onset of {group!r}"
        vowels, tones = vowels[1:], [position - 1 for position in tones]
    nucleus = "".join(base for base, _toned in vowels)
    if nucleus not in _NUCLEI:
        return f"{word!r} is not a Vietnamese syllable: {group!r} is not a Vietnamese vowel combination"
    if tones and tones[0] not in _NUCLEI[nucleus]:
        return f"{word!r} is not a Vietnamese syllable: the tone mark is on the wrong vowel of {group!r}"
    return None


# A Vietnamese syllable typed without marks: onset, vowel group, final (gi and qu are onsets).
_PLAIN_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?([aeiouy]+)(ch|ng|nh|[cmnpt])?"
)
_PLAIN_NUCLEI = frozenset(fold_to_ascii(nucleus) for nucleus in _NUCLEI)


def _plain_syllable_problem(word: str) -> str | None:
    """Why a word typed without marks is not one Vietnamese syllable (Nguyen, Thuy, Giap), or None."""
    match = _PLAIN_SYLLABLE.fullmatch(word.lower())
    if match is None or match.group(2) not in _PLAIN_NUCLEI:
        return (
            f"{word!r} is not a Vietnamese syllable: check the spelling, or give a name of another "
            "orthography (Ksor, H'Zen) in the explicit parts family_name / middle_name / given_name"
        )
    return None


def _name_word_problem(word: str, plain_words_checked: bool = False) -> str | None:
    """Why ``word`` cannot be one word of a person's name, or None."""
    for char in word:
        if not _is_letter(char) and char not in _JOINERS:
            return _char_problem(char, word, _NAME_CHARS)
    pieces = _JOINER.split(word)
    if any(not piece for piece in pieces):
        return f"{word!r} has an apostrophe or hyphen that is not between two letters"
    if plain_words_checked and word.isascii():
        return next(filter(None, map(_plain_syllable_problem, pieces)), None)
    return _foreign_letter_problem(word) or next(filter(None, map(_word_problem, pieces)), None)


def _text_problem(text: str) -> str | None:
    """Why normalised ``text`` (an agency or department name) is not Vietnamese, or None."""
    for char in text:
        if not (_is_letter(char) or char == " " or "0" <= char <= "9" or char in _PUNCTUATION):
            return _char_problem(char, text, _TEXT_CHARS)
    if text[0] in _PUNCTUATION:
        return f"{text!r} starts with {text[0]!r}: a name starts with a letter or a digit"
    words = re.findall(r"[^\W\d_]+", text)
    return next(filter(None, map(_word_problem, words)), None)


def _refuse(field: str, text: str, problem: str) -> None:
    """Raise ``InvalidName`` for ``problem``, naming the legacy encoding when ``text`` looks legacy."""
    legacy = legacy_encoding_of(text)
    if legacy is not None:
        encoding, converted = legacy
        message = (
            f"{text!r} is not valid Vietnamese Unicode: it looks like {DESCRIPTIONS[encoding]} text; "
            f"converted it would read {converted!r}"
        )
        raise InvalidName(field, message, encoding, converted)
    raise InvalidName(field, problem)


# --- Person names -----------------------------------------------------------------------------


def _fold_word(word: str) -> str:
    return "".join(c for c in fold_to_ascii(word).lower() if "a" <= c <= "z")


@dataclass(frozen=True)
class PersonName:
    """A person's name split into parts; words are NFC, as written apart from normalisation."""

    family: tuple[str, ...]
    middle: tuple[str, ...]
    given: tuple[str, ...]
    # The full_name as written beside explicit parts: the only record of a given-name-first order.
    written: tuple[str, ...] = dataclasses.field(default=(), compare=False)

    @property
    def display(self) -> str:
        """The name as people write it: ``"Nguyễn Văn Dũng"``, ``"H'Maryam Niê"`` when so written."""
        return " ".join(self.written or self.family + self.middle + self.given)

    @property
    def local_part(self) -> str:
        """Given name + family initials + middle initials, ASCII lower case (R-12): ``dungnv``."""
        given = "".join(_fold_word(word) for word in self.given)
        initials = "".join(_fold_word(word)[:1] for word in self.family + self.middle)
        return given + initials


def _name_words(
    value: object, field: str, required: bool, plain_words_checked: bool = False
) -> tuple[str, ...]:
    if value is None:
        if required:
            raise InvalidName(field, f"{field} is required when the name is given in parts")
        return ()
    if not isinstance(value, str):
        raise InvalidName(field, f"{value!r} is not text")
    text = normalise_text(value)
    if not text:
        if required:
            raise InvalidName(field, "the name is empty")
        return ()
    problem = next(filter(None, (_name_word_problem(w, plain_words_checked) for w in text.split(" "))), None)
    if problem is not None:
        _refuse(field, text, problem)
    return tuple(text.replace("Ð", "Đ").replace("ð", "đ").split(" "))  # the eth look-alike is Đ


def parse_person_name(
    full_name: str | None = None,
    *,
    family_name: str | None = None,
    middle_name: str | None = None,
    given_name: str | None = None,
) -> PersonName:
    """Validate and split a person's name (R-12, R-15); raises ``InvalidName`` naming the field."""
    if family_name is None and middle_name is None and given_name is None:
        if full_name is None:
            raise InvalidName("full_name", "a name is required: full_name, or family_name and given_name")
        words = _name_words(full_name, "full_name", required=True, plain_words_checked=True)
        if len(words) < 2:
            raise InvalidName(
                "full_name",
                f"{words[0]!r} is a single word: give family_name and given_name explicitly",
            )
        name, field = PersonName(words[:1], words[1:-1], words[-1:]), "full_name"
    else:
        written: tuple[str, ...] = ()
        if isinstance(full_name, str) and normalise_text(full_name):
            written = _name_words(full_name, "full_name", required=False)  # checked; only for display
        elif full_name is not None and not isinstance(full_name, str):
            raise InvalidName("full_name", f"{full_name!r} is not text")
        name = PersonName(
            _name_words(family_name, "family_name", required=True),
            _name_words(middle_name, "middle_name", required=False),
            _name_words(given_name, "given_name", required=True),
            written,
        )
        field = "given_name"
    parts = (
        (name.given, "given_name", "givenName (the given name)"),
        (name.family + name.middle, "family_name", "sn (family and middle names)"),
    )
    for words, part_field, attribute in parts:
        text = " ".join(words)
        if len(text) > MAX_NAME_PART:
            raise InvalidName(
                field if field == "full_name" else part_field,
                f"{text[:20]!r}… has {len(text)} characters; Active Directory keeps at most "
                f"{MAX_NAME_PART} in {attribute}",
            )
    local_part = name.local_part
    if len(local_part) > MAX_LOCAL_PART:
        raise InvalidName(
            field,
            f"the address local part {local_part[:20]!r}… has {len(local_part)} characters; at most "
            f"{MAX_LOCAL_PART} are allowed (RFC 5321 mailbox names, the Exchange alias): it is every letter "
            "of the given name plus one initial per other word, so a long given name or many middle names "
            "exceed it; give the name as the records software (R-72) holds it",
        )
    return name


def person_local_part(
    full_name: str | None = None,
    *,
    family_name: str | None = None,
    middle_name: str | None = None,
    given_name: str | None = None,
) -> str:
    """The personal mailbox local part (R-12): ``"Nguyễn Văn Dũng" -> "dungnv"``."""
    name = parse_person_name(
        full_name, family_name=family_name, middle_name=middle_name, given_name=given_name
    )
    return name.local_part
