# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tests of vietnamese.py: names, normalisation, validation, legacy encodings (R-12, R-15)."""

from __future__ import annotations

import pickle
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils.legacy_encodings import (
    TCVN3_TABLE,
    decode_tcvn3,
    decode_vni,
)
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import (
    MAX_LOCAL_PART,
    InvalidName,
    PersonName,
    check_vietnamese_text,
    fold_to_ascii,
    legacy_encoding_of,
    normalise_text,
    parse_person_name,
    person_local_part,
)
from hypothesis import assume, given
from hypothesis import strategies as st

LOCAL_PART = re.compile(r"[a-z]{1,64}")
CORPUS_FILE = Path(__file__).with_name("names_corpus.yml")
PARTS = ("full_name", "family_name", "middle_name", "given_name")


def _corpus() -> list[dict[str, str]]:
    groups = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
    return [entry for entries in groups.values() for entry in entries]


CORPUS = _corpus()


def _refused(*args: str | None, **kwargs: str | None) -> InvalidName:
    with pytest.raises(InvalidName) as info:
        person_local_part(*args, **kwargs)
    return info.value


# --- The corpus (R-12) ------------------------------------------------------------------------


def test_corpus_has_at_least_100_names() -> None:
    assert len(CORPUS) >= 100


@pytest.mark.parametrize("entry", CORPUS, ids=lambda e: e.get("full_name") or e.get("given_name"))
def test_corpus_name_gives_expected_local_part(entry: dict[str, str]) -> None:
    parts = {key: entry[key] for key in PARTS if key in entry}
    full_name = parts.pop("full_name", None)
    assert person_local_part(full_name, **parts) == entry["expected"]
    name = parse_person_name(full_name, **parts)
    assert name.local_part == entry["expected"]
    assert name.display == unicodedata.normalize("NFC", name.display)
    assert "  " not in name.display


# --- The local-part rule (R-12) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_name", "expected"),
    [("Nguyễn Văn Dũng", "dungnv"), ("Nguyễn Thị Minh Khai", "khaintm"), ("Lê Lợi", "loil")],
)
def test_r12_examples(full_name: str, expected: str) -> None:
    assert person_local_part(full_name) == expected


def test_full_name_splits_first_family_last_given_rest_middle() -> None:
    name = parse_person_name("Nguyễn Thị Minh Khai")
    assert name == PersonName(("Nguyễn",), ("Thị", "Minh"), ("Khai",))
    assert name.display == "Nguyễn Thị Minh Khai"
    assert name.local_part == "khaintm"


def test_two_word_full_name_has_no_middle_name() -> None:
    assert parse_person_name("Lê Lợi") == PersonName(("Lê",), (), ("Lợi",))


def test_every_middle_name_word_gives_an_initial() -> None:
    # A bug of public converters: several middle names collapsed into one initial.
    assert person_local_part("Công Tằng Tôn Nữ Thị Bá") == "bacttnt"


def test_explicit_parts_win_and_every_given_word_is_kept() -> None:
    assert person_local_part(family_name="Âu Dương", given_name="Phong") == "phongad"
    assert person_local_part(family_name="Niê", given_name="H'Maryam") == "hmaryamn"
    assert person_local_part(family_name="Phạm", given_name="Bình Minh") == "binhminhp"
    name = parse_person_name(family_name="Hoàng Phủ", middle_name="Ngọc", given_name="Tường")
    assert name == PersonName(("Hoàng", "Phủ"), ("Ngọc",), ("Tường",))


def test_explicit_parts_ignore_full_name_but_check_it() -> None:
    # Given-name-first names need explicit parts; full_name is then only validated.
    assert person_local_part("H'Maryam Niê", family_name="Niê", given_name="H'Maryam") == "hmaryamn"
    assert person_local_part("Maryam", family_name="Niê", given_name="H'Maryam") == "hmaryamn"
    error = _refused("Dũng 2", family_name="Nguyễn", given_name="Dũng")
    assert error.field == "full_name"


@pytest.mark.parametrize(
    ("parts", "field"),
    [
        ({"given_name": "Dũng"}, "family_name"),
        ({"family_name": "Nguyễn"}, "given_name"),
        ({"middle_name": "Văn"}, "family_name"),
        ({"family_name": "Nguyễn", "given_name": "  "}, "given_name"),
        ({"family_name": "", "given_name": "Dũng"}, "family_name"),
    ],
)
def test_explicit_parts_need_family_and_given(parts: dict[str, str], field: str) -> None:
    assert _refused("Nguyễn Văn Dũng", **parts).field == field


def test_middle_name_is_optional_and_may_be_empty() -> None:
    assert person_local_part(family_name="Lê", middle_name="", given_name="Lợi") == "loil"
    assert person_local_part(family_name="Lê", middle_name=None, given_name="Lợi") == "loil"


# --- Normalisation (R-15) ---------------------------------------------------------------------


def test_normalise_text() -> None:
    assert normalise_text("  Nguye\u0302\u0303n\t\tVa\u0306n \n Du\u0303ng ") == "Nguyễn Văn Dũng"
    assert normalise_text("Lê\u00a0\u2003Lợi\u3000") == "Lê Lợi"


def test_every_unicode_space_separator_is_whitespace() -> None:
    spaces = [chr(code) for code in range(0x110000) if unicodedata.category(chr(code)) == "Zs"]
    assert len(spaces) >= 17
    for space in spaces:
        assert normalise_text(f"a{space}{space}b{space}") == "a b"


@pytest.mark.parametrize("invisible", ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff"])
def test_zero_width_and_invisible_characters_are_refused_not_removed(invisible: str) -> None:
    # Removed, a zero-width space joined two words into one: "Nguyễn Văn\u200bDũng" gave dungn@.
    for name in (f"Nguyễn Văn{invisible}Dũng", f"{invisible}Nguyễn Văn Dũng", f"Nguyễn Văn Dũng{invisible}"):
        error = _refused(name)
        assert f"U+{ord(invisible):04X}" in error.message and "delete it" in error.message
    assert "invisible" in _refused(family_name="Nguyễn", given_name=f"Dũng{invisible}").message
    with pytest.raises(InvalidName, match="invisible"):
        check_vietnamese_text(f"Sở Tài{invisible}chính", "name")


@pytest.mark.parametrize(
    "space", [" ", "\t", "\n", "\u00a0", "\u2002", "\u2009", "\u202f", "\u3000", "\t\n "]
)
def test_whitespace_runs_are_one_space(space: str) -> None:
    assert person_local_part(f"{space}Nguyễn{space}Văn{space}{space}Dũng{space}") == "dungnv"


def test_nfd_and_case_give_the_same_address() -> None:
    name = "Đặng Thùy Trâm"
    for variant in (unicodedata.normalize("NFD", name), name.upper(), name.lower(), name.title()):
        assert person_local_part(variant) == "tramdt"
    assert parse_person_name(unicodedata.normalize("NFD", name)).display == name


@pytest.mark.parametrize("d", ["Đ", "đ", "Ð", "ð"])
def test_all_d_with_stroke_and_eth_fold_to_d(d: str) -> None:
    assert person_local_part(f"Lê {d}ức {d}ạt") == "datld"


def test_eth_look_alike_reads_as_d_with_stroke_in_display() -> None:
    assert parse_person_name("Ðặng Thái Sơn").display == "Đặng Thái Sơn"


@pytest.mark.parametrize("apostrophe", ["'", "\u2019", "\u02bc"])
def test_apostrophes_are_dropped_from_the_address(apostrophe: str) -> None:
    name = parse_person_name(family_name="Niê", given_name=f"H{apostrophe}Maryam")
    assert name.local_part == "hmaryamn"
    assert name.given == (f"H{apostrophe}Maryam",)  # kept as written in the display


@pytest.mark.parametrize("hyphen", ["-", "\u2010", "\u2011"])
def test_hyphenated_word_is_one_word(hyphen: str) -> None:
    name = parse_person_name(f"Trần Mai{hyphen}Anh")
    assert name.given == (f"Mai{hyphen}Anh",)
    assert name.local_part == "maianht"


@pytest.mark.parametrize("word", ["'Maryam", "Maryam'", "H''Maryam", "H'-Maryam", "-Anh", "Anh-", "Mai--Anh"])
def test_leading_trailing_or_doubled_apostrophes_and_hyphens_are_refused(word: str) -> None:
    error = _refused(family_name="Niê", given_name=word)
    assert error.field == "given_name"
    assert repr(word) in error.message
    assert "between two letters" in error.message


def test_fold_to_ascii() -> None:
    assert fold_to_ascii("Đặng Thị Ŏ") == "Dang Thi O"
    assert fold_to_ascii("ÐðĂăÂâÊêÔôƠơƯư Ayŭn ĕĭ") == "DdAaAaEeOoOoUu Ayun ei"


# --- Letters of the Central Highlands and plain ASCII ----------------------------------------------


@pytest.mark.parametrize(
    "word", ["Niê", "Krông", "Êban", "Adrơng", "Kđăm", "Ksor", "Mlô", "Buôn", "Ya", "Ayŭn", "Byă", "Hđơk"]
)
def test_central_highlands_words_pass(word: str) -> None:
    assert parse_person_name(family_name=word, given_name="Y Moan").family == (word,)


@pytest.mark.parametrize(("breve", "base"), [("ĕ", "e"), ("ĭ", "i"), ("ŏ", "o"), ("ŭ", "u"), ("ŭ", "u")])
def test_breve_vowels_are_letters_folding_to_their_base(breve: str, base: str) -> None:
    assert person_local_part(family_name="Niê", given_name=f"K{breve}n") == f"k{base}nn"
    assert person_local_part(family_name="NIÊ", given_name=f"K{breve}N".upper()) == f"k{base}nn"


@pytest.mark.parametrize(
    ("family", "middle", "given"),
    [("Siu", None, "Black"), ("Nguyen", "Jack", "Zafwin"), ("Y", None, "Wang"), ("Nie", None, "H'Zen")],
)
def test_f_j_w_z_are_accepted_in_explicit_parts_without_marks(family: str, middle: str, given: str) -> None:
    assert LOCAL_PART.fullmatch(person_local_part(family_name=family, middle_name=middle, given_name=given))


def test_f_j_w_z_are_refused_next_to_vietnamese_marks() -> None:
    error = _refused("Nguyễn Wăn")
    assert "'Wăn'" in error.message and "'W'" in error.message


def test_vowel_hiatus_inside_one_word_needs_a_hyphen() -> None:
    # Limitation: "Alêô" (A-lê-ô) joins two syllables' vowels into one group "êô", which is not a
    # Vietnamese vowel combination, so it is refused like VNI text ("aê") would be. Writing the
    # syllable break with a hyphen, or the name without marks, gives the same address.
    error = _refused(family_name="Alêô", given_name="Y Bih")
    assert "'êô' is not a Vietnamese vowel combination" in error.message
    assert person_local_part(family_name="Alê-ô", given_name="Y Bih") == "ybiha"
    assert person_local_part(family_name="Aleo", given_name="Y Bih") == "ybiha"


@pytest.mark.parametrize("full_name", ["Tạ Itsuppor", "Ksor Aeiou Xyzq", "Nguyen Van Dungg", "Le Ad Min"])
def test_plain_words_of_a_full_name_must_be_vietnamese_syllables(full_name: str) -> None:
    # Before, a word without marks skipped every check: "Tạ Itsuppor" became itsupport@.
    error = _refused(full_name)
    assert "is not a Vietnamese syllable" in error.message and "explicit parts" in error.message


@pytest.mark.parametrize(
    "full_name", ["Nguyen Van Dung", "Vo Nguyen Giap", "Quach Thi Nghieng", "Tran Mai-Anh"]
)
def test_plain_vietnamese_syllables_pass(full_name: str) -> None:
    assert LOCAL_PART.fullmatch(person_local_part(full_name))


def test_explicit_parts_skip_the_plain_syllable_check() -> None:
    assert person_local_part(family_name="Ksor", middle_name="Aeiou", given_name="Xyzq") == "xyzqka"


# --- Refusals (R-15) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_name", "offending"),
    [
        ("Nguyễn Văn Dũng2", "Dũng2"),  # digit
        ("Nguyễn Văn \uff13", "\uff13"),  # fullwidth digit
        ("Nguyễn Văn Dũng.", "Dũng."),  # punctuation
        ("Nguyễn (Văn) Dũng", "(Văn)"),
        ("Nguyễn Văn Dũng 🙂", "🙂"),  # symbol
        ("Nguyễn Văn D@ng", "D@ng"),
        ("Иван Петров", "Иван"),  # Cyrillic
        ("阮 文勇", "阮"),  # CJK
        ("Νίκος Παππάς", "Νίκος"),  # Greek
        ("François Lê", "François"),  # ç
        ("Lê Muñoz", "Muñoz"),  # ñ
        ("Lê Jürgen", "Jürgen"),  # ü
        ("Lê Bjørn", "Bjørn"),  # ø
        ("Lê Xiǎo", "Xiǎo"),  # caron
    ],
)
def test_non_letters_and_foreign_letters_are_refused(full_name: str, offending: str) -> None:
    error = _refused(full_name)
    assert error.field == "full_name"
    assert repr(offending) in error.message
    assert error.legacy_encoding is None and error.converted is None


@pytest.mark.parametrize("control", ["\x00", "\x07", "\r", "\x1b", "\x7f", "\x85", "\u2028"])
def test_control_characters_are_refused(control: str) -> None:
    error = _refused(f"Nguyễn Văn{control}Dũng")
    assert "U+" in error.message


def test_soft_hyphen_is_refused_not_removed() -> None:
    error = _refused("Lê Văn Lư\u00adơng")
    assert "soft hyphen" in error.message


@pytest.mark.parametrize("empty", ["", "   ", "\u200b", "\t\n"])
def test_empty_names_are_refused(empty: str) -> None:
    assert _refused(empty).field == "full_name"
    assert _refused(family_name="Lê", given_name=empty).field == "given_name"


def test_no_name_at_all_is_refused() -> None:
    assert _refused().field == "full_name"


def test_one_word_full_name_is_refused_without_explicit_parts() -> None:
    error = _refused("Maryam")
    assert error.field == "full_name"
    assert "'Maryam'" in error.message and "given_name" in error.message


@pytest.mark.parametrize("value", [42, 3.5, ["Lê", "Lợi"], {"a": 1}])
def test_non_text_is_refused(value: object) -> None:
    assert _refused(value).field == "full_name"  # type: ignore[arg-type]
    assert _refused(family_name="Lê", given_name=value).field == "given_name"  # type: ignore[arg-type]


def test_local_part_over_64_characters_is_refused() -> None:
    assert MAX_LOCAL_PART == 64
    assert len(person_local_part(family_name="Lê", given_name="a" * 63)) == 64
    error = _refused(family_name="Lê", given_name="a" * 64)
    assert error.field == "given_name" and "65" in error.message
    assert _refused("Lê " + "b" * 64).field == "full_name"


# --- Syllables: vowel groups and tone placement (R-15) ----------------------------------------


@pytest.mark.parametrize(
    ("old", "new"), [("Hòa", "Hoà"), ("Thúy", "Thuý"), ("Khỏe", "Khoẻ"), ("Thụy", "Thuỵ")]
)
def test_old_and_new_tone_placement_are_both_accepted(old: str, new: str) -> None:
    assert person_local_part(f"Lê {old}") == person_local_part(f"Lê {new}")


@pytest.mark.parametrize(
    "word",
    ["Quỳnh", "Quốc", "Quân", "Giáp", "Giữ", "Giàu", "Giường", "Gìn", "Nguyễn", "Huyền", "Khuỷu", "Khuya",
     "Ngoặc", "Khuấy", "Người", "Rượu", "Yến", "Yêu", "Hoài", "Xoáy", "Ngoẹo", "Thuở", "Tuấn", "Huệ", "Muối"],
)  # fmt: skip
def test_vowel_groups_with_qu_and_gi_onsets(word: str) -> None:
    assert parse_person_name(f"Lê {word}").given == (word,)


@pytest.mark.parametrize(
    ("word", "reason"),
    [
        ("Lêa", "not a Vietnamese vowel combination"),
        ("Hóà", "more than one tone mark"),
        ("Nguỹên", "wrong vowel"),
        ("Tìên", "wrong vowel"),
        ("Trừơng", "wrong vowel"),
        ("Gìa", "onset"),
    ],
)
def test_malformed_syllables_are_refused(word: str, reason: str) -> None:
    error = _refused(f"Lê {word}")
    assert repr(word) in error.message and reason in error.message
    assert error.legacy_encoding is None


def test_accented_capital_inside_a_word_is_refused() -> None:
    error = _refused("Lê NguyỄn")
    assert "'NguyỄn'" in error.message and "capital" in error.message


def test_all_capital_words_are_accepted() -> None:
    assert person_local_part("NGUYỄN VĂN DŨNG") == "dungnv"
    assert person_local_part(family_name="NIÊ", given_name="H'MARYAM") == "hmaryamn"


# --- Legacy encodings (R-15) ------------------------------------------------------------------


def test_tcvn3_full_name_is_refused_with_encoding_and_conversion() -> None:
    error = _refused("NguyÔn V¨n Dòng")
    assert error.field == "full_name"
    assert error.legacy_encoding == "TCVN3"
    assert error.converted == "Nguyễn Văn Dũng"
    assert (
        str(error)
        == error.message
        == (
            "'NguyÔn V¨n Dòng' is not valid Vietnamese Unicode: it looks like TCVN3 (ABC) text; "
            "converted it would read 'Nguyễn Văn Dũng'"
        )
    )


def test_vni_full_name_is_refused_with_encoding_and_conversion() -> None:
    error = _refused("Nguyeãn Vaên Duõng")
    assert (error.legacy_encoding, error.converted) == ("VNI", "Nguyễn Văn Dũng")
    assert "it looks like VNI text; converted it would read 'Nguyễn Văn Dũng'" in error.message


@pytest.mark.parametrize(
    ("text", "encoding", "converted"),
    [
        ("NguyÔn V¨n Dòng", "TCVN3", "Nguyễn Văn Dũng"),
        ("§Æng Th\u00adêng", "TCVN3", "Đặng Thường"),  # U+00AD is TCVN3 "ư"
        ("Lª TuÊn", "TCVN3", "Lê Tuấn"),
        ("BÝch", "TCVN3", "Bích"),
        ("Ph¹m Hïng", "TCVN3", "Phạm Hùng"),
        ("NGUYÔN V¡N DòNG", "TCVN3", "NGUYỄN VĂN DŨNG"),  # all-capitals font
        ("Nguyeãn Vaên Duõng", "VNI", "Nguyễn Văn Dũng"),
        ("Lyù Thöôøng Kieät", "VNI", "Lý Thường Kiệt"),
        ("Ñaëng Thò Tröôøng", "VNI", "Đặng Thị Trường"),
        ("NGUYEÃN VAÊN DUÕNG", "VNI", "NGUYỄN VĂN DŨNG"),
        ("Hoaøng Lan", "VNI", "Hoàng Lan"),
    ],
)
def test_legacy_encoding_of(text: str, encoding: str, converted: str) -> None:
    assert legacy_encoding_of(text) == (encoding, converted)


@pytest.mark.parametrize("text", ["Nguyễn Văn Dũng", "Nguyen Van Dung", "Dũng2 (x)", "Иван"])
def test_legacy_encoding_of_valid_or_unrelated_text_is_none(text: str) -> None:
    assert legacy_encoding_of(text) is None


def test_residual_risk_a_lone_legacy_word_can_be_valid_vietnamese() -> None:
    # "Dòng" is TCVN3 for "Dũng" but is also a valid syllable: documented, callers refuse batches.
    assert legacy_encoding_of("Dòng") is None
    assert person_local_part(family_name="Lê", given_name="Dòng") == "dongl"


def test_legacy_name_in_an_explicit_part_names_that_part() -> None:
    error = _refused(family_name="NguyÔn", given_name="Dũng")
    assert (error.field, error.legacy_encoding, error.converted) == ("family_name", "TCVN3", "Nguyễn")


def test_tcvn3_table_matches_the_published_vn3_layout() -> None:
    # Spot checks against the public tables (glibc TCVN5712-1, VSCII-3): 14 letters + 60 toned vowels.
    assert len(TCVN3_TABLE) == 74
    expected = {"¨": "ă", "©": "â", "ª": "ê", "«": "ô", "¬": "ơ", "\u00ad": "ư", "®": "đ", "¡": "Ă", "¢": "Â",
                "£": "Ê", "¤": "Ô", "¥": "Ơ", "¦": "Ư", "§": "Đ", "µ": "à", "¶": "ả", "·": "ã", "\u00b8": "á",
                "¹": "ạ", "Ô": "ễ", "ò": "ũ", "Ý": "í", "Ê": "ấ", "þ": "ỵ", "ù": "ự"}  # fmt: skip
    assert {char: TCVN3_TABLE[char] for char in expected} == expected


def test_decoders_refuse_what_is_not_their_encoding() -> None:
    assert decode_tcvn3("Lê Ç") is not None and decode_tcvn3("Lê À") is None  # 0xC0 is not VN3
    assert decode_vni("Lâ") is None  # a circumflex mark after a consonant
    # Valid Unicode may read as other text in VNI ("oà" is VNI for "ồ"): that is why only text
    # that fails validation is ever checked for a legacy encoding.
    assert decode_vni("Hoàng") == "Hồng"
    assert legacy_encoding_of("Hoàng") is None


# --- InvalidName ------------------------------------------------------------------------------


def test_invalid_name_is_a_value_error_with_fields_and_survives_pickling() -> None:
    error = _refused("NguyÔn V¨n Dòng")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.field, copy.message, copy.legacy_encoding, copy.converted) == (
        error.field,
        error.message,
        error.legacy_encoding,
        error.converted,
    )


# --- Agency and department names ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Sở Thông tin và Truyền thông",
        "Phòng Tài chính - Kế hoạch",
        "UBND quận Hải Châu",
        "Trung tâm CNTT & TT (số 2)",
        "Ban Quản lý dự án \u201cĐầu tư\u201d, giai đoạn 2021\u20132025",
        "TTĐT",
    ],
)
def test_check_vietnamese_text_accepts_agency_names(text: str) -> None:
    assert check_vietnamese_text(text, "name") == text


@pytest.mark.parametrize(
    ("text", "offending"),
    [
        ("<img src=x onerror=alert(1)>", "'<'"),
        ('=HYPERLINK("http://x")', "'='"),
        ("{{ lookup('file', '/etc/passwd') }}", "'{'"),
        ("Sở Tài chính `rm`", "'`'"),
        ("-Sở Tài chính", "starts with '-'"),
        ("Sở Tài chính; DROP", "';'"),
        ('Sở "Tài chính"', "'\"'"),
        ("@Sở Tài chính", "'@'"),
    ],
)
def test_agency_names_refuse_markup_formula_and_template_characters(text: str, offending: str) -> None:
    # Before, any punctuation passed into display names and the R-47 report.
    with pytest.raises(InvalidName) as info:
        check_vietnamese_text(text, "name")
    assert offending in info.value.message


def test_check_vietnamese_text_normalises() -> None:
    raw = "  So\u031b\u0309  Tài chính\t"
    assert check_vietnamese_text(raw, "name") == "Sở Tài chính"


@pytest.mark.parametrize(
    ("text", "encoding", "converted"),
    [
        ("Së Th«ng tin vµ TruyÒn th«ng", "TCVN3", "Sở Thông tin và Truyền thông"),
        ("Sôû Thoâng tin vaø Truyeàn thoâng", "VNI", "Sở Thông tin và Truyền thông"),
    ],
)
def test_check_vietnamese_text_refuses_legacy_text(text: str, encoding: str, converted: str) -> None:
    with pytest.raises(InvalidName) as info:
        check_vietnamese_text(text, "name")
    error = info.value
    assert (error.field, error.legacy_encoding, error.converted) == ("name", encoding, converted)


@pytest.mark.parametrize(
    "text", ["", "  ", "Sở Tài chính\x00", "Sở № 1", "Ban Иван", "Sở Tài chính ©", "Lêa", "Sở\u00adTài"]
)
def test_check_vietnamese_text_refuses_invalid_text(text: str) -> None:
    with pytest.raises(InvalidName) as info:
        check_vietnamese_text(text, "department")
    assert info.value.field == "department"


# --- Properties -----------------------------------------------------------------------------------

WORDS = sorted(
    {
        word
        for entry in CORPUS
        if "full_name" in entry and "family_name" not in entry
        for word in normalise_text(entry["full_name"]).split(" ")
    }
)
PADDING = st.text(alphabet=" \t\n\u00a0\u2003\u3000", max_size=3)
SPACES = PADDING.filter(lambda s: normalise_text(f"a{s}b") == "a b")
NAMES = st.lists(st.sampled_from(WORDS), min_size=2, max_size=5)


@given(NAMES, st.data())
def test_same_person_same_address_whatever_the_shape(words: list[str], data: st.DataObject) -> None:
    expected = person_local_part(" ".join(words))
    assert LOCAL_PART.fullmatch(expected)
    spaced = data.draw(PADDING) + data.draw(SPACES).join(words) + data.draw(PADDING)
    for variant in (spaced, unicodedata.normalize("NFD", spaced), spaced.upper(), spaced.lower()):
        assert person_local_part(variant) == expected


@given(st.text(max_size=40))
def test_any_text_gives_ascii_local_part_or_invalid_name(text: str) -> None:
    try:
        result = person_local_part(text)
    except InvalidName as error:
        assert error.field == "full_name" and str(error) == error.message
    else:
        assert LOCAL_PART.fullmatch(result)


@given(st.text(alphabet=st.characters(codec="latin-1"), max_size=20), st.text(max_size=20))
def test_explicit_parts_of_any_text_give_ascii_or_invalid_name(family: str, given_name: str) -> None:
    try:
        result = person_local_part(family_name=family, given_name=given_name)
    except InvalidName as error:
        assert error.field in ("family_name", "given_name")
    else:
        assert LOCAL_PART.fullmatch(result)


@given(st.text(max_size=40))
def test_normalise_text_is_idempotent_and_check_keeps_its_result(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    try:
        checked = check_vietnamese_text(text, "name")
    except InvalidName:
        return
    assert checked == once and check_vietnamese_text(checked, "name") == checked


TCVN3_ENCODE = {letter: char for char, letter in TCVN3_TABLE.items()}


@given(NAMES)
def test_tcvn3_encoded_names_are_valid_or_detected(words: list[str]) -> None:
    text = " ".join(words)
    encoded = "".join(TCVN3_ENCODE.get(char, char) for char in text)
    assume(encoded != text and all(char.isascii() or char in TCVN3_ENCODE for char in text))
    try:
        person_local_part(encoded)
    except InvalidName as error:
        assert (error.legacy_encoding, error.converted) == ("TCVN3", text)


def test_display_keeps_the_written_order_of_a_given_name_first_name() -> None:
    """Explicit parts define the address; a full_name beside them keeps how the person writes it."""
    name = parse_person_name("H'Maryam Niê", family_name="Niê", given_name="H'Maryam")
    assert name.local_part == "hmaryamn"
    assert name.display == "H'Maryam Niê"
    assert name == parse_person_name(family_name="Niê", given_name="H'Maryam")
    assert parse_person_name(family_name="Niê", given_name="H'Maryam").display == "Niê H'Maryam"


# --- Lengths the servers refuse ---------------------------------------------------------------


def test_family_and_middle_names_over_64_characters_are_refused_naming_ad_sn() -> None:
    # Each part fits the schema's 64, but AD keeps family + middle names in one sn of 64.
    error = _refused(family_name="Nguyễn", middle_name="Thị " * 15 + "Minh", given_name="Khai")
    assert error.field == "family_name" and "at most 64 in sn" in error.message


def test_long_local_part_explains_the_cause() -> None:
    # Each part fits AD (given 60, family + middle 62), but the local part has 60 + 16 letters.
    error = _refused(family_name="Lê", middle_name=" ".join(["Thị"] * 15), given_name="Quang" * 12)
    assert "at most 64" in error.message and "RFC 5321" in error.message and "initial" in error.message
