"""URLs: what a dependency log may show of one (``safe_url``), and a URL with its secrets hidden.

URLs are parsed, not cut at the last ``@``: ``https://h/geo?email=a@b.com&key=K`` has no
userinfo (its ``@`` is in the query), while ``https://user:pa/ss@h/p`` does (a password may
hold ``/``, ``?``, ``#`` or ``@`` unencoded). Scheme-relative (``//user:pw@db/x``) and
scheme-less (``user:pw@db:5432/app``) forms are read as authority and path too.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable

from .text import REDACTED

# A host (name, IPv4 or [IPv6]) and optional port, then the end of the authority.
_HOST_END = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]*)(?::[0-9]*)?(?=[/?#]|\Z)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?=//)")
_HAS_PASSWORD = re.compile(r"[^\s:/?#@\[\]]*:")


def split_url(url: str) -> tuple[str, str, str, str]:
    """``(scheme, userinfo, host, rest)`` where ``rest`` is path, query and fragment."""
    url = url.strip()
    scheme_match = _SCHEME.match(url)
    scheme = scheme_match.group()[:-1] if scheme_match else ""
    rest = url[scheme_match.end() :] if scheme_match else url
    if rest.startswith("//"):
        rest = rest[2:]
    elif scheme or "@" not in rest:
        return scheme, "", "", rest  # no authority at all (a path, or mailto:-like)
    at = userinfo_end(rest)
    userinfo, rest = (rest[:at], rest[at + 1 :]) if at != -1 else ("", rest)
    stop = len(rest)
    for delimiter in "/?#":
        found = rest.find(delimiter)
        if found != -1:
            stop = min(stop, found)
    return scheme, userinfo, rest[:stop], rest[stop:]


def userinfo_end(authority_and_rest: str) -> int:
    """The index of the ``@`` that ends the userinfo, or -1 when there is none."""
    text = authority_and_rest
    if _HAS_PASSWORD.match(text):  # user:password@: the password may hold / ? # @
        query = min((i for i in (text.find("?"), text.find("#")) if i != -1), default=len(text))
        at = text.rfind("@", 0, query)  # the last @ before any query: "a@b" in a query is not it
        if at != -1 and _HOST_END.match(text, at + 1):
            return at
        for position in (m.start() for m in re.finditer("@", text)):
            if _HOST_END.match(text, position + 1):
                return position
        return -1
    stop = min((i for i in (text.find("/"), text.find("?"), text.find("#")) if i != -1), default=len(text))
    return text.rfind("@", 0, stop)  # user@host: only inside the authority


def safe_url(url: str) -> str:
    """scheme://host/path only: no userinfo, query or fragment (for dependency logs)."""
    scheme, _userinfo, host, rest = split_url(url)
    path = rest
    for delimiter in "?#":
        path = path.split(delimiter, 1)[0]
    prefix = f"{scheme}://" if scheme else "//" if url.lstrip().startswith("//") else ""
    return f"{prefix}{host}{path}"


def redact_url(url: str, is_sensitive_query_name: Callable[[str], bool], redact_text: Callable[[str], str]) -> str:
    """The URL with the userinfo password and sensitive query values hidden, the rest kept."""
    scheme, userinfo, host, rest = split_url(url)
    if userinfo:
        user, has_password, _ = userinfo.partition(":")
        userinfo = f"{user}:{REDACTED}@" if has_password else f"{user}@"
    path, has_query, query = rest.partition("?")
    query, has_fragment, fragment = query.partition("#")
    if has_query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = urllib.parse.urlencode(
            [(k, REDACTED if is_sensitive_query_name(k) else v) for k, v in pairs], safe="[]"
        )
    prefix = f"{scheme}://" if scheme else "//" if url.lstrip().startswith("//") else ""
    rebuilt = f"{prefix}{userinfo}{host}{path}" + (f"?{query}" if has_query else "")
    return redact_text(rebuilt + (f"#{fragment}" if has_fragment else ""))
