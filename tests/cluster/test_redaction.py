"""redact(): credentials livemig read, and anything shaped like an Authorization value or a private
key, never reach a message; ordinary words that look alike stay readable."""

from __future__ import annotations

import pytest

from tui.cluster.redaction import REDACTED, redact, register, register_basic_auth
from tui.sim.tls import PRIVATE_KEY_PEM


@pytest.mark.parametrize(
    "text",
    [
        "Invalid header value b'Bearer eyJhbGciOiJSUzI1NiJ9.payload\\n'",
        '{"Authorization": "Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag"}',
        "proxy said: Basic b3BlcmF0b3I6c2VjcmV0LXBhc3N3b3Jk was refused",
        f"cannot load {PRIVATE_KEY_PEM}",
    ],
)
def test_what_has_the_shape_of_a_credential_is_redacted(text: str) -> None:
    shown = redact(text)
    assert REDACTED in shown
    for secret in (
        "eyJhbGciOiJSUzI1NiJ9",
        "YIIGhgYGKwYBBQUCoIIGejCCBnag",
        "b3BlcmF0b3I6c2VjcmV0LXBhc3N3b3Jk",
        PRIVATE_KEY_PEM.splitlines()[1],
    ):
        assert secret not in shown


@pytest.mark.parametrize(
    "text",
    [
        "authorization: request denied by the webhook",
        "the Bearer token expired",
        "basic auth is turned off on this server",
        'virtualmachines.kubevirt.io is forbidden: User "alice" cannot list resource',
    ],
)
def test_ordinary_words_stay_readable(text: str) -> None:
    assert redact(text) == text


def test_a_registered_secret_is_redacted_wherever_it_appears_and_however_it_is_escaped() -> None:
    register("tok-9f8e7d6c5b4a\r\n")
    register_basic_auth("operator", "hunter2-but-longer")
    for text in (
        "the token tok-9f8e7d6c5b4a is unknown",
        "b'tok-9f8e7d6c5b4a\\r\\n'",
        "password hunter2-but-longer rejected",
    ):
        assert REDACTED in redact(text)
        assert "tok-9f8e7d6c5b4a" not in redact(text) and "hunter2-but-longer" not in redact(text)
