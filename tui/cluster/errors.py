"""Errors of the cluster layer: why a connection could not be made, and what an API call answered.

`ConnectError` is what the commands print (one paragraph, exit code 2). `ApiError` carries a non-2xx
answer with the server's Status message verbatim. `TransportError` is a request that got no HTTP
answer at all (refused, timed out, TLS), worded for an operator by `describe_transport_error`.
Every message is redacted when the error is made (tui/cluster/redaction.py): no credential leaves
the cluster layer in an error's words, whatever the server or a library put in them.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator
from typing import Any

import orjson
import urllib3.exceptions as u3

from tui.cluster.redaction import redact

# ConnectError.problem values: what went wrong, for callers that branch on it (and for tests).
NO_KUBECONFIG = "no-kubeconfig"
BAD_KUBECONFIG = "bad-kubeconfig"
UNKNOWN_CONTEXT = "unknown-context"
CREDENTIALS = "credentials"
UNREACHABLE = "unreachable"
TLS = "tls"
UNAUTHORIZED = "unauthorized"
FORBIDDEN = "forbidden"
NO_KUBEVIRT = "no-kubevirt"
SERVER_ERROR = "server-error"


class ConnectError(Exception):
    """livemig cannot work with the chosen cluster; `message` says why and what to do, in one paragraph."""

    def __init__(self, problem: str, message: str) -> None:
        message = redact(message)
        super().__init__(message)
        self.problem = problem
        self.message = message


class ApiError(Exception):
    """The API server answered with an error status. `message` is its Status message, verbatim."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        reason, message = redact(reason), redact(message)
        super().__init__(message or f"HTTP {code} {reason}".strip())
        self.code = code
        self.reason = reason
        self.message = message or f"the API server answered HTTP {code}{' ' + reason if reason else ''}"
        self.details = details or {}
        self.retry_after = retry_after

    @classmethod
    def from_body(cls, code: int, body: bytes, retry_after: str | None = None) -> ApiError:
        """Read a Status body; a body that is no Status still gives an error naming the HTTP code."""
        reason, message = "", ""
        details: dict[str, Any] = {}
        try:
            status: Any = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            status = None
        if isinstance(status, dict):
            found_reason, found_message, found_details = (
                status.get("reason"),
                status.get("message"),
                status.get("details"),
            )
            reason = found_reason if isinstance(found_reason, str) else ""
            message = found_message if isinstance(found_message, str) else ""
            details = found_details if isinstance(found_details, dict) else {}
        elif body:
            message = _page_summary(body)
        seconds = None
        if retry_after:
            try:
                seconds = float(retry_after)
            except ValueError:
                seconds = None
        return cls(code, reason, message, details, seconds)


# Kubernetes' RBAC denial (`User "u" cannot VERB resource "r" in API group "g" in the namespace "n"`),
# with the authorizer's own reason after a colon when it gives one.
_RBAC_DENIAL = re.compile(
    r'is forbidden: User "[^"]*" cannot [\w-]+ resource "[^"]*"(?: in API group "[^"]*")?'
    r'(?: in the namespace "[^"]*")?(?:: (?P<reason>.+))?$',
    re.DOTALL,
)


def forbidden_reason(message: str) -> str:
    """What a 403's message adds to "may not VERB": the authorizer's reason, or the whole message when
    it is no RBAC denial (a webhook's, say); "" when it only says the right is missing."""
    denial = _RBAC_DENIAL.search(message)
    if denial is None:
        return message.strip()
    return (denial.group("reason") or "").strip()


_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _page_summary(body: bytes) -> str:
    """A body that is no Status, in one sentence: a web page by its title (a plain web server, a proxy
    or a login page answered, not an API server), plain text by its first line, shortened."""
    head = body[:4096]
    if head.lstrip()[:1] == b"<":
        found = _TITLE.search(head)
        title = " ".join(_TAG.sub("", found.group(1).decode("utf-8", "replace")).split()) if found else ""
        title = title if len(title) <= 80 else title[:79] + "…"
        return f"a web page{f' titled {title!r}' if title else ''} instead of a Kubernetes Status"
    line = next((part.strip() for part in head.decode("utf-8", "replace").splitlines() if part.strip()), "")
    return line if len(line) <= 160 else line[:159] + "…"


class TransportError(Exception):
    """A request that got no HTTP answer. `kind` is one of refused, timeout, tls, dns, reset, proxy,
    other; `message` is worded for an operator and names the server."""

    def __init__(self, kind: str, message: str) -> None:
        message = redact(message)
        super().__init__(message)
        self.kind = kind
        self.message = message


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps (urllib3 nests the real cause in `reason` and `__context__`)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for attribute in ("reason", "__cause__", "__context__"):
            nested = getattr(current, attribute, None)
            if isinstance(nested, BaseException):
                pending.append(nested)
        for arg in getattr(current, "args", ()):
            if isinstance(arg, BaseException):
                pending.append(arg)


def describe_transport_error(error: BaseException, server: str) -> TransportError:
    """Turn whatever urllib3, ssl or socket raised into a TransportError worded for an operator."""
    causes = list(_causes(error))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or str(cause)
            return TransportError(
                "tls",
                f"the TLS certificate of {server} could not be verified ({detail}); check the cluster's "
                "certificate-authority in the kubeconfig",
            )
    for cause in causes:
        if isinstance(cause, u3.ProxyError):
            return TransportError("proxy", f"the proxy in the way to {server} failed: {_short(cause)}")
    for cause in causes:
        if isinstance(cause, (ssl.SSLError, u3.SSLError)):
            text = _short(cause)
            hint = ""
            if "WRONG_VERSION_NUMBER" in text.upper() or "wrong version number" in text:
                hint = " (the server does not seem to speak TLS: should the URL start with http://?)"
            return TransportError("tls", f"the TLS handshake with {server} failed: {text}{hint}")
    for cause in causes:
        if isinstance(cause, ConnectionRefusedError) or "Connection refused" in str(cause):
            return TransportError(
                "refused", f"{server} refused the connection (is the API server running, and the port right?)"
            )
    for cause in causes:
        if (
            isinstance(cause, socket.gaierror)
            or "Name or service not known" in str(cause)
            or "nodename nor servname" in str(cause)
        ):
            return TransportError("dns", f"the host name of {server} could not be resolved")
    for cause in causes:
        # urllib3's NewConnectionError is a ConnectTimeoutError too: only a real timeout counts here.
        if isinstance(cause, u3.ConnectTimeoutError) and not isinstance(cause, u3.NewConnectionError):
            return TransportError(
                "timeout", f"{server} did not accept a connection in time (is it reachable from here?)"
            )
    for cause in causes:
        if isinstance(cause, (u3.ReadTimeoutError, u3.TimeoutError, socket.timeout, TimeoutError)):
            return TransportError("timeout", f"{server} accepted the connection but did not answer in time")
    for cause in causes:
        if (
            isinstance(cause, (ConnectionResetError, BrokenPipeError, u3.ProtocolError))
            or "RemoteDisconnected" in type(cause).__name__
        ):
            hint = ""
            if server.startswith("http://"):
                # A TLS port drops a plain HTTP request without a word.
                hint = " (if it speaks TLS, as API servers do, the URL must start with https://)"
            return TransportError("reset", f"{server} closed the connection without an answer{hint}")
    for cause in causes:
        if isinstance(cause, OSError) and cause.errno is not None:
            return TransportError("other", f"cannot reach {server}: {cause.strerror or cause}")
    return TransportError("other", f"cannot reach {server}: {_short(error)}")


_SSL_SOURCE = re.compile(r"\s*\(_ssl\.c:\d+\)")


def _short(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    # urllib3 repeats the connection object's repr in its messages; keep the part after it.
    if ">: " in text:
        text = text.rsplit(">: ", 1)[1]
    # OpenSSL's source line ("(_ssl.c:1000)") tells an operator nothing.
    text = _SSL_SOURCE.sub("", text).strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text.rstrip(".")


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
