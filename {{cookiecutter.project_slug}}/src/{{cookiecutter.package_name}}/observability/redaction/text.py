"""Secrets in free text: messages, exception text, header lines, bodies cut at N bytes.

The redactor finds *spans* to hide in the original text, then writes the text with each span
replaced by ``[REDACTED]``; cutting a long text happens on the same coordinates, after the
spans are known, so a cut can never separate a key from its value or a password from the
``@`` that marks it (see ``TextRedactor.head``/``tail``).

What it recognises (each rule runs only where a cheap substring test says it could match):

- a sensitive key (``keys.py``) followed by a separator: ``=``, ``:``, ``=>``, ``:=``, ``>``
  (XML, also with attributes), ``%3D`` (URL-encoded), a closing quote first (JSON and
  escaped JSON), or ``', '`` (a repr of pairs); then whatever value shape follows:
  closed or *unclosed* quotes (escaped quotes inside honoured, any level of ``\\``-escaping),
  lists and objects (to the matching bracket), YAML block scalars (``key: |`` and the lines
  indented under it), CDATA, a value on the next line when the key's line ends at the
  separator, and bare values: to the end of the line, or to where the next ``name=`` /
  ``name:`` field clearly starts (``password=abc user=ann`` keeps ``user=ann``). A quote or
  bracket may close on a later line (a value split by a line break); one that does not close
  within ``REACH`` characters past its line's end hides everything up to there. When the
  matcher cannot tell where a value ends, it hides too much rather than too little.
- ``Cookie:``/``Set-Cookie:``/``Authorization:`` header lines: the whole value to the line's end.
- ``Bearer <token>`` anywhere, of any length; JWTs; PEM private keys; URL passwords
  (``scheme://user:PASSWORD@host``); credential query parameters (``?code=``, ``&key[]=``).

Work is linear in the text's length: each rule is one forward pass; a key match reads at
most a 64-character key tail, its separator and (XML) 512 characters of attributes; every
character a value scan reads is hidden, so it is never scanned again (keys whose value
would start inside a hidden value are skipped); and a run of non-space characters is
measured once for URL passwords.
"""

from __future__ import annotations

import re

from .keys import SENSITIVE_QUERY_NAMES, KeyPolicy

REDACTED = "[REDACTED]"
REACH = 256  # how far past the end of its line an unclosed quote or bracket is followed
MAX_NESTING = 64

Span = tuple[int, int]

_AUTH_SCHEME = re.compile(r"\bbearer\s+[A-Za-z0-9\-._~+/]+=*", re.IGNORECASE)
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# scheme://user: then a password that runs to the last "@" within reach (it may hold "/" or "@").
_URL_USER = re.compile(r"[^\s:/@]*:")
_SPACE = re.compile(r"\s")
MAX_PASSWORD = 256
# Cookie and Authorization headers written out in text: the whole value, to the line's end.
# (Also after a "\n" escape: exception reprs and JSON bodies keep their line breaks escaped.)
_HEADER_LINE = re.compile(
    r"(?:(?<![\w-])|(?<=\\[nrt]))(?:(?:set-)?cookie|(?:proxy-)?authorization)(?=\s*[:=])", re.IGNORECASE
)
# An auth scheme opening a value (Authorization: Digest username="u", response="..."): the
# parameters after it are all credentials, so the value runs to the line's end.
_SCHEME = re.compile(r"(?:bearer|basic|digest|token|negotiate|ntlm|hoba|mutual|aws4-hmac-sha256)\s", re.IGNORECASE)
_HEADER_VALUE = re.compile(r"\s*[:=][ \t]*(?P<value>[^\r\n]+)")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", re.DOTALL
)
_QUERY_PARAM = re.compile(
    r"(?:(?<=[?&;])|\A)(?:" + "|".join(sorted(SENSITIVE_QUERY_NAMES)) + r")(?:\[[^\]=&\s]{0,32}\])*[ \t]*=[ \t]*"
    r"(?P<value>[^&#\s\"'<>]+)",
    re.IGNORECASE,
)
# Where a bare value ends: the line's end, or a separator run followed by the next field.
_BARE_END = re.compile(r"[\r\n]|[\s,;&]+(?=[\"'\\]*[A-Za-z_][\w.\-]{0,64}[\"'\\]*[ \t]*(?:=|:[\s\"'\[{]))")
_CLOSERS = ")]}>\"'"
_OPENERS = ("=", ":", ">", ",", "(", "[", "{", "%3D", "%3d")
_AFTER_VALUE = frozenset(" \t\r\n,;&)]}><\\\"'.|")
# A key's tail (user_password_hash), matched atomically: a lookahead takes the longest run and
# a backreference consumes it, so a failed separator never backtracks through the run.
_TAIL = r"(?=(?P<tail>[\w.\-]{0,64}))(?P=tail)"
_BLOCK_SCALAR = re.compile(r"[|>][+-]?[0-9]?[+-]?[ \t]*(?=[\r\n])")
_BRACKETS = {"[": re.compile(r"[\[\]]"), "{": re.compile(r"[{}]")}
_CLOSING_QUOTE = {q: re.compile(rf"(?:[^{q}\\]|\\.)*{q}", re.DOTALL) for q in "\"'"}
_URL_ENCODED_END = re.compile(r"&|%26|\s")
# ASCII-only lower-casing keeps every position in place (str.lower can change the length).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ-. ", "abcdefghijklmnopqrstuvwxyz___")


class TextRedactor:
    def __init__(self, keys: KeyPolicy) -> None:
        alternation = "|".join(re.escape(f).replace("_", "[_ .-]?") for f in keys.fragments)
        # The match starts at the fragment (user_password=...): what precedes it stays as
        # written, and the engine never backtracks over long words looking for a key's start.
        self._key = re.compile(
            rf"(?:{alternation}){_TAIL}"
            r"(?P<sep>\\*[\"']?[ \t]*(?:=>|:=|%3[Dd]|[=:>])[ \t]*|\\*[\"'][ \t]*,[ \t]*)",
            re.IGNORECASE,
        )
        # <password type="x">: attributes, tried only right after "<" or a namespace's ":".
        self._xml_key = re.compile(f"(?:{alternation}){_TAIL}" + r"(?P<sep>\s[^<>]{0,512}>)", re.IGNORECASE)
        # Lower-case spellings of the fragments ("-", "." and " " read as "_"), found with
        # str.find, which is far faster than searching for a case-insensitive alternation.
        self._needles = tuple(dict.fromkeys(f.replace("_", sep) for f in keys.fragments for sep in ("_", "")))

    # -- whole texts --------------------------------------------------------------------
    def redact(self, text: str) -> str:
        return apply(text, self.spans(text), 0, len(text))

    def head(self, text: str, limit: int, margin: int) -> str:
        """The first ``limit`` characters, redacted as if the text went on ``margin`` more."""
        window = text[: limit + margin]
        return apply(window, self.spans(window), 0, limit)

    def tail(self, text: str, limit: int, margin: int) -> str:
        """The last ``limit`` characters, redacted with ``margin`` characters before them read."""
        window = text[-(limit + margin) :]
        return apply(window, self.spans(window), len(window) - limit, len(window))

    # -- finding spans --------------------------------------------------------------------
    def spans(self, text: str) -> list[Span]:
        found: list[Span] = []
        if "PRIVATE KEY" in text:  # PEM armour is always upper-case
            found += [m.span() for m in _PRIVATE_KEY.finditer(text)]
        lowered = text.lower()
        if len(lowered) != len(text):
            lowered = text.translate(_ASCII_LOWER)
        if "cookie" in lowered or "authorization" in lowered:
            found += header_spans(text)
        if "bearer" in lowered:
            found += [_token_part(m) for m in _AUTH_SCHEME.finditer(text)]
        if "eyj" in lowered:
            found += [m.span() for m in _JWT.finditer(text)]
        if "://" in text:
            found += userinfo_spans(text)
        if "=" in text:
            found += [m.span("value") for m in _QUERY_PARAM.finditer(text)]
        lowered = lowered.replace("-", "_").replace(".", "_").replace(" ", "_")
        needles = [needle for needle in self._needles if needle in lowered]
        if needles:
            found += self.key_value_spans(text, lowered, needles)
        return merge(found)

    def key_value_spans(self, text: str, lowered: str, needles: list[str]) -> list[Span]:
        starts: set[int] = set()
        for needle in needles:
            position = lowered.find(needle)
            while position != -1:
                starts.add(position)
                position = lowered.find(needle, position + 1)
        spans: list[Span] = []
        hidden_from = done = 0
        for start in sorted(starts):
            match = self._key.match(text, start)
            if match is None and text[start - 1 : start] in ("<", ":"):
                match = self._xml_key.match(text, start)
            # Skipped: a key whose value would start inside the value last hidden (pwd=pwd=...,
            # api_key_token=...). A key before it is read: an XML tag's attributes lie between
            # its name and its hidden value (<ns:token a="1" password=x>...), and an XML match
            # can run over several lines of text that only looks like a tag.
            if match is None or hidden_from <= match.end() < done:
                continue
            span = value_span(text, match.end(), match.group("sep"), start)
            if span is not None and span[1] > span[0]:
                spans.append(span)
                # Keys on later lines are still read even when this value hides them (an unclosed
                # bracket hides REACH characters on): their own values may run further.
                hidden_from, done = span[0], min(span[1], line_end(text, span[0]))
        return spans


def header_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    done = 0
    for match in _HEADER_LINE.finditer(text):
        if match.start() < done:  # "cookie: cookie: ...": already hidden to the line's end
            continue
        value = _HEADER_VALUE.match(text, match.end())
        if value and not value.group("value").startswith(REDACTED):
            spans.append(value.span("value"))
            done = value.end()
    return spans


def userinfo_spans(text: str) -> list[Span]:
    """Passwords in ``scheme://user:PASSWORD@host``: to the last ``@`` within reach.

    Each run of non-space characters is measured once, however many ``://`` it holds.
    """
    spans: list[Span] = []
    run_end = -1
    position = text.find("://")
    while position != -1:
        user = _URL_USER.match(text, position + 3)
        if user is not None:
            start = user.end()
            if start > run_end:
                space = _SPACE.search(text, start)
                run_end = space.start() if space else len(text)
            at = text.rfind("@", start, min(run_end, start + MAX_PASSWORD + 1))
            if at > start:
                spans.append((start, at))
        position = text.find("://", position + 3)
    return spans


def value_span(text: str, start: int, sep: str, key_start: int, *, next_line: bool = True) -> Span | None:
    """Where the value after a key's separator starts and ends."""
    end = len(text)
    if start >= end or text.startswith(REDACTED, start):
        return None
    first = text[start]
    if first in "\r\n":  # "password:" ends its line: the value is the next line (YAML, wrapped text)
        if not next_line:
            return None
        line = start + (2 if text.startswith("\r\n", start) else 1)
        while line < end and text[line] in " \t":
            line += 1
        return value_span(text, line, sep, key_start, next_line=False)
    sep = sep.rstrip()
    if sep.endswith(">") and not sep.endswith("=>"):
        return xml_value(text, start)
    quoted = quoted_span(text, start)
    if quoted is not None:
        return quoted
    if first in "[{":
        return bracket_span(text, start)
    if _SCHEME.match(text, start):
        return (start, line_end(text, start))
    if sep.lower().endswith("%3d"):
        stop = _URL_ENCODED_END.search(text, start)
        return (start, stop.start() if stop else end)
    block = _BLOCK_SCALAR.match(text, start)
    if block and sep.endswith(":"):
        return (start, block_end(text, block.end(), key_start))
    return bare_span(text, start)


def quoted_span(text: str, start: int) -> Span | None:
    """A quoted value (``"x"``, ``'x'``, ``b'x'``, ``\\"x\\"``): the characters inside the quotes."""
    if text[start] in "bBuU" and text[start + 1 : start + 2] in ("'", '"', "\\"):
        start += 1
    escapes = 0
    while text.startswith("\\", start + escapes):
        escapes += 1
    quote = text[start + escapes : start + escapes + 1]
    if quote not in ("'", '"'):
        return None
    inside = start + escapes + 1
    if text[inside : inside + 1] in ("[", "{"):  # a quoted list or object: its brackets decide
        return (inside, bracket_span(text, inside)[1])
    reach = within_reach(text, inside)
    if not escapes:
        match = _CLOSING_QUOTE[quote].match(text, inside, reach)
        close, after = (match.end() - 1, match.end()) if match else (-1, -1)
    else:
        delimiter = "\\" * escapes + quote
        close = text.find(delimiter, inside, reach)
        while close != -1 and text[close - 1] == "\\":  # \\\" inside \"...\" is an escaped quote
            close = text.find(delimiter, close + 1, reach)
        after = close + len(delimiter)
    if close == -1:
        return (inside, reach)
    if opens_value(text, inside, close):  # another value's opening quote: a later line is read on its own
        return (inside, line_end(text, inside))
    if ends_value(text, after):
        return (inside, close)
    return (inside, line_end(text, close))  # 'it's', or text glued to the quote: hide the line


def opens_value(text: str, inside: int, quote: int) -> bool:
    """Whether the quote at ``quote`` follows a separator or opener, so it opens a value."""
    return text[max(inside, quote - 4) : quote].rstrip(" \t\\").endswith(_OPENERS)


def ends_value(text: str, position: int) -> bool:
    """Whether a closing quote at ``position - 1`` can end a value: what follows is not more of it."""
    return position >= len(text) or text[position] in _AFTER_VALUE


def bracket_span(text: str, start: int) -> Span:
    """``[...]`` or ``{...}`` to its matching bracket; unmatched, as far as reach goes."""
    depth = 0
    opening = text[start]
    reach = within_reach(text, start)
    for match in _BRACKETS[opening].finditer(text, start, reach):
        depth += 1 if match.group() == opening else -1
        if depth == 0:
            return (start, match.end())
        if depth > MAX_NESTING:
            break
    return (start, reach)


def bare_span(text: str, start: int) -> Span:
    """An unquoted value: to the next field, or to the line's end less trailing closers."""
    stop = _BARE_END.search(text, start)
    if stop is not None and stop.group() not in ("\r", "\n"):
        return (start, stop.start())
    end = stop.start() if stop is not None else len(text)
    while end > start + 1 and text[end - 1] in _CLOSERS:  # "(password=x)" keeps its ")"
        end -= 1
    return (start, end)


def xml_value(text: str, start: int) -> Span:
    reach = within_reach(text, start)
    if text.startswith("<![CDATA[", start):
        close = text.find("]]>", start, reach)
        return (start, close + 3 if close != -1 else reach)
    close = text.find("<", start, reach)
    return (start, close if close != -1 else reach)


def block_end(text: str, position: int, key_start: int) -> int:
    """The end of a YAML block scalar: the lines indented deeper than the key's line."""
    line_start = text.rfind("\n", 0, key_start) + 1
    indent = len(text[line_start:key_start]) - len(text[line_start:key_start].lstrip(" \t"))
    end = position
    while end < len(text):
        next_start = end + 1 if text[end] == "\n" else end + 2 if text.startswith("\r\n", end) else end
        if next_start == end:
            break
        stop = line_end(text, next_start)
        line = text[next_start:stop]
        if line.strip() and len(line) - len(line.lstrip(" \t")) <= indent:
            break
        end = stop
    return end


def within_reach(text: str, start: int) -> int:
    """Where a search for a closing quote or bracket stops: ``REACH`` characters past the end
    of the line (a value may continue on the next lines). An unclosed value is hidden up to
    there, so every character searched is also hidden, and the work stays linear."""
    return min(len(text), line_end(text, start) + REACH)


def line_end(text: str, start: int) -> int:
    """The next ``\n`` or ``\r`` (str.find is a memchr; a regex search here would cost ten times more)."""
    newline = text.find("\n", start)
    end = len(text) if newline == -1 else newline
    carriage = text.find("\r", start, end)
    return end if carriage == -1 else carriage


def _token_part(match: re.Match[str]) -> Span:
    """The token of ``Bearer <token>``: the scheme word stays readable."""
    head = match.group().split(None, 1)[0]
    start = match.start() + len(head)
    while match.string[start] in " \t\r\n\f\v":
        start += 1
    return (start, match.end())


def merge(spans: list[Span]) -> list[Span]:
    """Sorted, with overlapping or touching spans joined."""
    if len(spans) < 2:
        return spans
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        last_start, last_end = merged[-1]
        if start <= last_end:
            if end > last_end:
                merged[-1] = (last_start, end)
        else:
            merged.append((start, end))
    return merged


def apply(text: str, spans: list[Span], low: int, high: int) -> str:
    """``text[low:high]`` with every span (in the original coordinates) shown as ``[REDACTED]``."""
    if not spans:
        return text[low:high] if low or high != len(text) else text
    parts: list[str] = []
    position = low
    for start, end in spans:
        if end <= position:
            continue
        if start >= high:
            break
        parts.append(text[position : max(start, position)])
        parts.append(REDACTED)
        position = end
        if position >= high:
            return "".join(parts)
    parts.append(text[position:high])
    return "".join(parts)
