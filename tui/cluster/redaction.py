"""Credentials livemig must never show: the secrets in use, and `redact` for any text about to be shown.

Every credential livemig reads (a token, a tokenFile's content, an exec plugin's token, a basic-auth
password, a client key, an auth provider's id-token, refresh-token or client-secret) is registered
here when it is read. `redact` replaces each registered secret, and whatever has the shape of one (an
Authorization header's value, a PEM private key), by REDACTED. The cluster layer's errors redact
their messages when they are made (tui/cluster/errors.py), the command line redacts everything it
prints, and once a secret is registered, log records are redacted when they are created.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "<redacted>"
# Shorter values ("x", "1234") would blank out ordinary words; real credentials are longer.
_SHORTEST = 6

_lock = threading.Lock()
_secrets: set[str] = set()
_ordered: tuple[str, ...] = ()  # longest first, so a secret inside another is not left half-shown
_logging_guarded = False

_HEADER_VALUE = re.compile(
    r"(?i)\b(bearer(?=\s+[^\s'\",;)\]}]{8})|basic(?=\s+[A-Za-z0-9+/]{8,}=*))(\s+)[^\s'\",;)\]}]+"
)
# An Authorization header's value in any scheme (a scheme word, then a credential of 16 characters or
# more), so words such as "authorization: request denied" stay readable.
_AUTHORIZATION = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)(?:[a-z][\w-]*\s+)?[a-z0-9._~+/=-]{16,}")
_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)", re.DOTALL
)


def _forms(secret: str) -> Iterable[str]:
    """The secret as it may appear in a message: itself, each line of it, and as Python's repr escapes it."""
    yield secret
    yield repr(secret)[1:-1]
    yield repr(secret.encode("utf-8", "replace"))[2:-1]
    for line in secret.splitlines():
        yield line.strip()


def register(*values: Any) -> None:
    """Remember credentials (str or bytes; empty and very short values are ignored)."""
    global _ordered
    found: set[str] = set()
    for value in values:
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str):
            continue
        for form in _forms(value):
            if len(form) >= _SHORTEST and not form.startswith("-----"):
                found.add(form)
    with _lock:
        if found <= _secrets:
            return
        _secrets.update(found)
        _ordered = tuple(sorted(_secrets, key=len, reverse=True))
    _guard_logging()


def register_base64(value: Any) -> None:
    """A kubeconfig `*-data` field: the base64 text and what it decodes to (a PEM key's body lines)."""
    register(value)
    if isinstance(value, str):
        try:
            register(base64.b64decode(value.strip(), validate=False))
        except (ValueError, TypeError):
            pass


def register_basic_auth(username: Any, password: Any) -> None:
    """A basic-auth password, and the header value that carries it (base64 of user:password)."""
    register(password)
    if isinstance(username, str) and isinstance(password, str) and password:
        register(base64.b64encode(f"{username}:{password}".encode()).decode())


def redact(text: Any) -> str:
    """`text` with every known credential, Authorization value and private key replaced by REDACTED."""
    result = str(text)
    for secret in _ordered:
        if secret in result:
            result = result.replace(secret, REDACTED)
    result = _PRIVATE_KEY.sub(REDACTED, result)
    result = _AUTHORIZATION.sub(lambda match: match.group(1) + REDACTED, result)
    return _HEADER_VALUE.sub(lambda match: match.group(1) + match.group(2) + REDACTED, result)


def _guard_logging() -> None:
    """From the first secret on, every log record's message is redacted when it is made (the
    kubernetes client logs an exec plugin's failure, which may quote what the plugin printed)."""
    global _logging_guarded
    with _lock:
        if _logging_guarded:
            return
        _logging_guarded = True
    make = logging.getLogRecordFactory()

    def redacted_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record keeps its text as given
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        return record

    logging.setLogRecordFactory(redacted_record)
