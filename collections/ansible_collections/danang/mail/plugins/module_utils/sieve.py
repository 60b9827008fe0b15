# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sieve scripts (RFC 5228) as far as forwarding goes (R-50): a parser, not a regular expression.
Pure, no I/O.

:func:`parse` reads a whole script with RFC 5228's lexical grammar (section 8.1: ``#`` and ``/* */``
comments, quoted strings with ``\\\\`` and ``\\"``, ``text:`` blocks with dot-stuffing, string lists,
numbers with K/M/G, tags) and its commands, tests and blocks (section 8.2), and returns every
``redirect`` command: its target (decoded; with ``encoded-character``, section 2.4.2.4,
``${hex:..}`` and ``${unicode:..}`` too, so a target cannot hide), whether it has ``:copy``
(RFC 3894), and its span in the script. A ``redirect`` inside a comment or a string is text, not a
command. :func:`remove_commands` cuts spans out; what is left is still a valid script (an empty
block is valid).

Hostile input is refused with :class:`SieveError` (the audit then reports the script as
unparseable, a finding for the operator), never by a crash: scripts over ``MAX_SCRIPT_CHARS``, blocks
and tests nested deeper than ``MAX_DEPTH``, and redirects whose target cannot be known before
delivery (``${variables}``, ``:list`` address books).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Union

# Cyrus refuses scripts over sieve_maxscriptsize (32 KB by default) at PUTSCRIPT; a server may raise
# it. Four times the default still parses in milliseconds; anything larger is reported, not read.
MAX_SCRIPT_CHARS = 128 * 1024
# Real scripts nest two or three levels (OBM's filters: one if per rule). Cyrus itself accepts far
# deeper ones (60 measured); deeper than this is reported as unparseable rather than recursed into.
MAX_DEPTH = 32

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+[KMGkmg]?")
_TEXT_START = re.compile(r"text:[ \t]*(?:#[^\n]*)?\r?\n", re.IGNORECASE)
_ENCODED = re.compile(r"\$\{(hex|unicode):([\s0-9A-Fa-f]*)\}", re.IGNORECASE)
_VARIABLE = re.compile(r"\$\{[^}]*\}")
# redirect's tags that take a value (RFC 6009 redirect-dsn, RFC 6134 redirect-deliverby), so that the
# value is not taken for the address.
_REDIRECT_TAGS_WITH_VALUE = frozenset({":notify", ":ret", ":bytimerelative", ":bytimeabsolute", ":bymode"})


class SieveError(ValueError):
    """The script cannot be read: what and where (line)."""


@dataclass(frozen=True)
class Redirect:
    """One ``redirect`` command: ``target`` as Sieve would send to it, ``copy`` (``:copy``: the
    holder keeps the message too), ``span`` (start, end) of the command in the script text."""

    target: str
    copy: bool
    span: tuple[int, int]
    line: int


@dataclass
class Script:
    """What the audit needs from one script."""

    redirects: list[Redirect] = field(default_factory=list)
    requires: set[str] = field(default_factory=set)
    includes: list[str] = field(default_factory=list)  # personal scripts run by ``include``


@dataclass(frozen=True)
class _Token:
    kind: str  # identifier, tag, number, string, text, or the punctuation itself
    value: str
    start: int
    end: int


Argument = Union[_Token, list[_Token]]


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def tokenize(text: str) -> list[_Token]:
    """RFC 5228 section 8.1: the script's tokens, comments and white space dropped."""
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in " \t\r\n":
            i += 1
        elif char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                raise SieveError(f"line {_line_of(text, i)}: comment /* not closed")
            i = end + 2
        elif char == '"':
            value, end = _quoted(text, i)
            tokens.append(_Token("string", value, i, end))
            i = end
        elif char in "[](){},;":
            tokens.append(_Token(char, char, i, i + 1))
            i += 1
        elif char == ":":
            match = _IDENTIFIER.match(text, i + 1)
            if not match:
                raise SieveError(f"line {_line_of(text, i)}: a tag needs a name after ':'")
            tokens.append(_Token("tag", ":" + match.group().lower(), i, match.end()))
            i = match.end()
        elif char.isdigit():
            match = _NUMBER.match(text, i)
            tokens.append(_Token("number", match.group(), i, match.end()))  # type: ignore[union-attr]
            i = match.end()  # type: ignore[union-attr]
        elif _TEXT_START.match(text, i):
            value, end = _multiline(text, _TEXT_START.match(text, i).end(), i)  # type: ignore[union-attr]
            tokens.append(_Token("string", value, i, end))
            i = end
        else:
            match = _IDENTIFIER.match(text, i)
            if not match:
                raise SieveError(f"line {_line_of(text, i)}: unexpected character {char!r}")
            tokens.append(_Token("identifier", match.group().lower(), i, match.end()))
            i = match.end()
    return tokens


def _quoted(text: str, start: int) -> tuple[str, int]:
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            return "".join(out), i + 1
        if char == "\\" and i + 1 < n:  # \\ and \" ; any other escaped character stands for itself
            i += 1
            char = text[i]
        out.append(char)
        i += 1
    raise SieveError(f"line {_line_of(text, start)}: string not closed")


def _multiline(text: str, i: int, start: int) -> tuple[str, int]:
    """A ``text:`` block from its first line to the line holding a lone ``.``; ``..`` stands for ``.``."""
    lines: list[str] = []
    n = len(text)
    while i < n:
        end = text.find("\n", i)
        if end < 0:
            break
        line = text[i:end].rstrip("\r")
        if line == ".":
            return "\n".join(lines) + ("\n" if lines else ""), end + 1
        lines.append(line[1:] if line.startswith("..") else line)
        i = end + 1
    raise SieveError(f"line {_line_of(text, start)}: text: block without its closing '.' line")


@dataclass
class _Command:
    name: str
    arguments: list[Argument]
    start: int
    end: int


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text, self.tokens, self.i = text, tokens, 0
        self.commands: list[_Command] = []

    def peek(self) -> Optional[_Token]:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, *kinds: str) -> _Token:
        token = self.peek()
        if token is None or token.kind not in kinds:
            where = f"line {_line_of(self.text, token.start)}" if token else "at the end"
            found = repr(token.value) if token else "nothing"
            raise SieveError(f"{where}: expected {' or '.join(kinds)}, found {found}")
        self.i += 1
        return token

    def block(self, depth: int, closing: bool) -> None:
        previous = ""
        while True:
            token = self.peek()
            if token is None or token.kind == "}":
                if closing:
                    self.take("}")
                elif token is not None:
                    raise SieveError(f"line {_line_of(self.text, token.start)}: '}}' without '{{'")
                return
            previous = self.command(depth, previous)

    def command(self, depth: int, previous: str) -> str:
        if depth > MAX_DEPTH:
            raise SieveError(f"blocks nested deeper than {MAX_DEPTH}")
        name = self.take("identifier")
        if name.value in ("elsif", "else") and previous not in ("if", "elsif"):
            raise SieveError(f"line {_line_of(self.text, name.start)}: {name.value} without if")
        arguments = self.arguments(depth)
        end = self.take(";", "{")
        command = _Command(name.value, arguments, name.start, end.end)
        if end.kind == "{":
            self.block(depth + 1, closing=True)
        self.commands.append(command)
        return name.value

    def arguments(self, depth: int) -> list[Argument]:
        out: list[Argument] = []
        while True:
            token = self.peek()
            if token is None:
                raise SieveError("the script ends inside a command")
            if token.kind in ("string", "number", "tag"):
                out.append(self.take(token.kind))
            elif token.kind == "[":
                out.append(self.string_list())
            elif token.kind in ("identifier", "("):
                self.tests(depth + 1)
            else:
                return out

    def string_list(self) -> list[_Token]:
        self.take("[")
        items = [self.take("string")]
        while self.take(",", "]").kind == ",":
            items.append(self.take("string"))
        return items

    def tests(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise SieveError(f"tests nested deeper than {MAX_DEPTH}")
        if self.peek() is not None and self.peek().kind == "(":  # type: ignore[union-attr]
            self.take("(")
            self.tests(depth + 1)
            while self.take(",", ")").kind == ",":
                self.tests(depth + 1)
            return
        self.take("identifier")
        while True:
            token = self.peek()
            if token is not None and token.kind in ("string", "number", "tag"):
                self.take(token.kind)
            elif token is not None and token.kind == "[":
                self.string_list()
            elif token is not None and token.kind in ("identifier", "("):
                self.tests(depth + 1)
            else:
                return


def _strings(argument: Argument) -> list[str]:
    if isinstance(argument, list):
        return [token.value for token in argument]
    return [argument.value] if argument.kind == "string" else []


def decode_encoded(value: str) -> str:
    """RFC 5228 section 2.4.2.4: ``${hex:..}`` and ``${unicode:..}``; a malformed one stays as written."""

    def replace(match: re.Match[str]) -> str:
        digits = match.group(2).split()
        if not digits:
            return match.group()
        if match.group(1).lower() == "hex":
            if any(len(d) > 2 for d in digits):
                return match.group()
            return bytes(int(d, 16) for d in digits).decode("utf-8", "replace")
        points = [int(d, 16) for d in digits]
        if any(p > 0x10FFFF or 0xD800 <= p <= 0xDFFF for p in points):
            raise SieveError(f"${{unicode:...}} names no character: {match.group()}")
        return "".join(chr(p) for p in points)

    return _ENCODED.sub(replace, value)


def parse(text: str) -> Script:
    """Every redirect (and require, include) of the script ``text``. Raises :class:`SieveError`."""
    if len(text) > MAX_SCRIPT_CHARS:
        raise SieveError(f"script of {len(text)} characters, more than {MAX_SCRIPT_CHARS}")
    tokens = tokenize(text)
    parser = _Parser(text, tokens)
    parser.block(0, closing=False)
    script = Script()
    commands = sorted(parser.commands, key=lambda c: c.start)
    for command in commands:
        if command.name == "require":
            script.requires.update(s.lower() for a in command.arguments for s in _strings(a))
    # The test "ihave" (RFC 5463) brings an extension in inside its block: count any mention.
    mentioned = {t.value.lower() for t in tokens if t.kind == "string"}
    extensions = script.requires | (mentioned & {"encoded-character", "variables"})
    for command in commands:
        if command.name == "include":
            tags = {a.value for a in command.arguments if isinstance(a, _Token) and a.kind == "tag"}
            if ":global" not in tags:
                script.includes.extend(s for a in command.arguments for s in _strings(a))
        elif command.name == "redirect":
            script.redirects.append(_redirect(text, command, extensions))
    return script


def _redirect(text: str, command: _Command, extensions: set[str]) -> Redirect:
    line = _line_of(text, command.start)
    tags = {a.value for a in command.arguments if isinstance(a, _Token) and a.kind == "tag"}
    if ":list" in tags:
        raise SieveError(f"line {line}: redirect :list sends to an address book that cannot be read here")
    targets: list[Argument] = []
    skip = False
    for argument in command.arguments:
        if skip:
            skip = False
        elif isinstance(argument, _Token) and argument.kind == "tag":
            skip = argument.value in _REDIRECT_TAGS_WITH_VALUE
        elif isinstance(argument, list) or argument.kind == "string":
            targets.append(argument)
    if len(targets) != 1 or len(_strings(targets[0])) != 1:
        raise SieveError(f"line {line}: redirect needs exactly one address")
    target = _strings(targets[0])[0]
    if "encoded-character" in extensions:
        target = decode_encoded(target)
    if "variables" in extensions and _VARIABLE.search(target):
        raise SieveError(f"line {line}: redirect to {target!r} is only known at delivery (variables)")
    return Redirect(target.strip().lower(), ":copy" in tags, (command.start, command.end), line)


def remove_commands(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the commands at ``spans`` (from :func:`parse`), the rest untouched."""
    out, last = [], 0
    for start, end in sorted(set(spans)):
        if start < last:
            raise ValueError("overlapping spans")
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return "".join(out)
