# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""R-50: the Sieve parser finds every redirect (RFC 5228 grammar), and only redirects; removing one
leaves a valid script."""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.module_utils import sieve
from ansible_collections.danang.mail.plugins.module_utils.sieve import SieveError, parse, remove_commands


def targets(text: str) -> list[tuple[str, bool]]:
    return [(r.target, r.copy) for r in parse(text).redirects]


def test_plain_redirect_and_copy() -> None:
    # OBM's forwarding ("nomade"): a redirect, with :copy when the holder keeps a local copy.
    text = 'require ["copy"];\r\nredirect :copy "An@Gmail.com";\r\nredirect "b@danang.gov.vn";\r\n'
    assert targets(text) == [("an@gmail.com", True), ("b@danang.gov.vn", False)]
    first = parse(text).redirects[0]
    assert text[first.span[0] : first.span[1]] == 'redirect :copy "An@Gmail.com";'
    assert first.line == 2


def test_redirect_in_comments_and_strings_is_not_a_command() -> None:
    text = (
        '# redirect "hash@evil.example";\n'
        '/* redirect "bracket@evil.example";\n redirect "x@evil.example"; */\n'
        'require "vacation";\n'
        'vacation "redirect \\"quoted@evil.example\\"; is just text";\n'
        "vacation text:\n"
        'redirect "multiline@evil.example";\n'
        "..\n"
        ".\n"
        ";\n"
    )
    assert targets(text) == []


def test_nested_ifs_elsif_else_and_tests() -> None:
    text = """require ["copy", "fileinto"];
if allof (header :contains "subject" "[a]", not address :is "from" "x@y.z") {
    if size :over 100K { redirect "deep@outside.example"; }
    elsif anyof (exists "x-spam", header :matches ["to", "cc"] "*@a.b") { fileinto "Spam"; }
    else { redirect :copy "inside@danang.gov.vn"; stop; }
} else {
    keep;
}
"""
    assert targets(text) == [("deep@outside.example", False), ("inside@danang.gov.vn", True)]


def test_tag_values_are_not_the_address() -> None:
    text = (
        'require ["redirect-dsn", "redirect-deliverby", "copy"];\n'
        'redirect :notify "NEVER" :ret "HDRS" :bytimerelative 600 :bymode "notify" :copy "x@far.example";\n'
    )
    assert targets(text) == [("x@far.example", True)]


def test_crlf_line_ends_and_a_text_block_target() -> None:
    text = 'redirect text:\r\nfar@away.example\r\n.\r\n;\r\nredirect "b@danang.gov.vn";\r\n'
    assert targets(text) == [("far@away.example", False), ("b@danang.gov.vn", False)]


def test_encoded_character_cannot_hide_a_target() -> None:
    hidden = 'require ["encoded-character"];\nredirect "${hex:61 40}evil${unicode:2e}example";\n'
    assert targets(hidden) == [("a@evil.example", False)]
    # Without the extension the text is the address as written (Cyrus refuses it as one).
    assert targets('redirect "${hex:61}@b.c";') == [("${hex:61}@b.c", False)]
    with pytest.raises(SieveError, match="names no character"):
        parse('require "encoded-character"; redirect "${unicode:D800}@b.c";')


def test_targets_known_only_at_delivery_are_refused() -> None:
    with pytest.raises(SieveError, match="variables"):
        parse('require ["variables"]; set "t" "x@evil.example"; redirect "${t}";')
    with pytest.raises(SieveError, match="address book"):
        parse('require ["extlists"]; redirect :list "urn:ietf:params:sieve:addrbook:default";')


def test_includes_of_personal_scripts() -> None:
    text = 'require "include"; include :personal "nomade"; include :global "spam"; include "other";'
    assert parse(text).includes == ["nomade", "other"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('redirect "a@b.c"', "end"),
        ('redirect "a@b.c;', "not closed"),
        ("/* open", "not closed"),
        ("if true { keep;", "expected"),
        ("keep; }", "without"),
        ("else { keep; }", "without if"),
        ("vacation text:\nno end\n", "closing"),
        ("redirect;", "exactly one"),
        ("k@ep;", "unexpected"),
    ],
)
def test_broken_scripts_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(SieveError, match=message):
        parse(text)


def test_hostile_sizes_and_depths_are_refused() -> None:
    with pytest.raises(SieveError, match="characters"):
        parse("#" * (sieve.MAX_SCRIPT_CHARS + 1))
    deep = "if true {" * (sieve.MAX_DEPTH + 2) + "keep;" + "}" * (sieve.MAX_DEPTH + 2)
    with pytest.raises(SieveError, match="nested"):
        parse(deep)
    tests = "if " + "not " * 1000 + "true { keep; }"
    with pytest.raises(SieveError, match="nested"):
        parse(tests)
    ok = "if true {" * 3 + 'redirect "a@b.c";' + "}" * 3
    assert targets(ok) == [("a@b.c", False)]


def test_remove_commands_leaves_a_valid_script() -> None:
    text = """require ["copy"];
if header :contains "subject" "x" {
    redirect "out@gmail.com";
}
redirect :copy "in@danang.gov.vn";
redirect "out2@yahoo.com";
"""
    found = parse(text).redirects
    outside = [r.span for r in found if not r.target.endswith("danang.gov.vn")]
    left = remove_commands(text, outside)
    assert targets(left) == [("in@danang.gov.vn", True)]
    assert "if header" in left and left.count("{") == left.count("}")
    assert remove_commands(left, []) == left
