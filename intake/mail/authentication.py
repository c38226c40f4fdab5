"""Whether a message really comes from its From domain, by the agency's own receiving server.

Pure: reads the RFC 8601 Authentication-Results header that the server named by
``authserv_id`` added. Only the topmost header bearing that id counts: a receiving server
adds its header above the ones that arrived with the message, so a sender can forge one
below it or with another id, never above it. A server that writes DKIM and DMARC results
into separate headers must put the DMARC one on top (OpenDMARC, which runs last, does).

Alignment is relaxed DMARC alignment without a public suffix list: two domains are aligned
when they are equal or one is a subdomain of the other (``mail.acme.example`` and
``acme.example``), the parent having at least two labels, so ``example`` aligns with nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intake.mail.parsing import InboundMail
    from intake.settings import AuthenticationSettings

HEADER = "authentication-results"
# Results that say the check failed (RFC 8601 2.7): any of them for a method outvotes a pass.
FAILING = frozenset({"fail", "softfail", "hardfail", "permerror", "temperror", "policy"})
# method[/version]=result, then properties: ptype.property=value and reason="...".
RESULT = re.compile(r"^\s*([a-z0-9_-]+)\s*(?:/\s*\d+\s*)?=\s*([a-z0-9_-]+)", re.IGNORECASE)
PROPERTY = re.compile(r'([a-z0-9_-]+(?:\.[a-z0-9_.-]+)?)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s"]+)', re.I)


@dataclass(frozen=True)
class AuthVerdict:
    passed: bool
    reason: str  # e.g. "dmarc=pass (mx.agency.example)", "no Authentication-Results from ..."


@dataclass(frozen=True)
class MethodResult:
    """One resinfo of an Authentication-Results header: ``dkim=pass header.d=acme.example``."""

    method: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


def check_sender(
    headers: Sequence[tuple[str, str]], from_address: str, authserv_id: str
) -> AuthVerdict:
    """Pass on dmarc=pass for the From domain (``header.from`` equal to it), or dkim=pass for
    a domain aligned with it, unless a result of the same method in that header failed.

    ``headers`` are the message's header fields in order, as (lowercased name, value).
    """
    server = authserv_id.strip().lower()
    results = _topmost(headers, server)
    if results is None:
        return AuthVerdict(False, f"no Authentication-Results from {authserv_id}")
    domain = _domain(parseaddr(from_address)[1])
    if not domain:
        return AuthVerdict(False, f"the From address {from_address!r} has no domain")
    judges = {"dmarc": _dmarc, "dkim": _dkim}
    # A failing result beside a passing one for the same method: the failure wins (a second
    # signature or a result for another From cannot outvote it).
    failed = {r.method for r in results if r.result in FAILING}
    seen: list[str] = []
    for result in results:
        judge = judges.get(result.method)
        if judge is None or (result.method in failed and result.result not in FAILING):
            continue
        said = judge(result, domain)
        if said == "pass":
            return AuthVerdict(True, f"{_describe(result)} ({authserv_id})")
        seen.append(said)
    if not seen:
        others = ", ".join(f"{r.method}={r.result}" for r in results) or "none"
        seen.append(f"no dmarc or dkim result ({others})")
    return AuthVerdict(False, f"{'; '.join(seen)} ({authserv_id})")


def not_vouched_for(mail: InboundMail, auth: AuthenticationSettings) -> str | None:
    """Why the agency's receiving server does not vouch for the sender of ``mail``, when the
    settings require it to; None when it does, or when they do not require it."""
    if not auth.required:
        return None
    verdict = check_sender(mail.headers, mail.from_address, auth.authserv_id)
    return None if verdict.passed else verdict.reason


def parse_results(value: str) -> tuple[str, list[MethodResult]]:
    """The authserv-id (lowercase, "" when the header has none) and the results of one
    header value; folded lines, comments and quoted strings are handled."""
    parts = _split(_uncomment(_unfold(value)))
    head = parts[0].split()
    # Some servers (Exchange Online) write no authserv-id at all: such a header is nobody's.
    is_id = "=" not in parts[0] and (len(head) == 1 or (len(head) == 2 and head[1].isdigit()))
    server = head[0].lower() if is_id else ""
    results = []
    for part in parts[1:] if is_id else parts:
        matched = RESULT.match(part)
        if not matched:
            continue  # "none", or something we cannot read: no result
        properties = {
            name.lower(): _unquote(raw) for name, raw in PROPERTY.findall(part[matched.end() :])
        }
        results.append(MethodResult(matched[1].lower(), matched[2].lower(), properties))
    return server, results


def aligned(domain: str, other: str) -> bool:
    """Relaxed alignment without a public suffix list (see the module docstring)."""
    domain, other = _domain(domain), _domain(other)
    if not domain or not other:
        return False
    if domain == other:
        return True
    parent, child = sorted((domain, other), key=len)
    return parent.count(".") >= 1 and child.endswith("." + parent)


def _topmost(headers: Sequence[tuple[str, str]], server: str) -> list[MethodResult] | None:
    for name, value in headers:
        if name.lower() != HEADER:
            continue
        authserv, results = parse_results(value)
        if authserv == server:
            return results
    return None


def _dmarc(result: MethodResult, domain: str) -> str:
    if result.result != "pass":
        return f"dmarc={result.result}"
    header_from = _domain(result.properties.get("header.from", ""))
    if not header_from:
        # A pass for some From: with two From fields, not necessarily the one we read.
        return "dmarc=pass but no header.from says for which From"
    if header_from != domain:
        # Checked for another From than the one we read (two From fields, say).
        return f"dmarc=pass but for header.from={header_from}, not {domain}"
    return "pass"


def _dkim(result: MethodResult, domain: str) -> str:
    signer = _signer(result)
    if result.result != "pass":
        return f"dkim={result.result}" + (f" for d={signer}" if signer else "")
    if not signer:
        return "dkim=pass but no signing domain given"
    if not aligned(signer, domain):
        return f"dkim=pass but for d={signer}, not {domain}"
    return "pass"


def _signer(result: MethodResult) -> str:
    """The signing domain: header.d, else the domain of header.i ("@acme.example")."""
    if result.properties.get("header.d"):
        return _domain(result.properties["header.d"])
    return _domain(result.properties.get("header.i", "").rpartition("@")[2])


def _describe(result: MethodResult) -> str:
    if result.method == "dkim":
        return f"dkim=pass for d={_signer(result)}"
    return f"{result.method}={result.result}"


def _domain(value: str) -> str:
    return value.strip().strip('"').rpartition("@")[2].rstrip(".").lower()


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n", " ", value.replace("\r\n", "\n"))


def _uncomment(value: str) -> str:
    """Drop (comments), which nest, keeping "quoted strings" and backslash escapes."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in value:
        if escaped:
            escaped = False
            if not depth:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if not depth:
                out.append(char)
        elif quoted:
            quoted = char != '"'
            out.append(char)
        elif char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
            if not depth:
                out.append(" ")
        elif not depth:
            quoted = char == '"'
            out.append(char)
    return "".join(out)


def _split(value: str) -> list[str]:
    """Split on ";" outside quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == ";" and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    return raw
