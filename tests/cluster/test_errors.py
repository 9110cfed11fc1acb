"""The cluster layer's reading of error answers: what a 403 adds to the missing right."""

from __future__ import annotations

import pytest

from tui.cluster.errors import forbidden_reason


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        (
            (
                'virtualmachineinstancemigrations.kubevirt.io is forbidden: User "viewer" cannot create resource '
                '"virtualmachineinstancemigrations" in API group "kubevirt.io" in the namespace "default"'
            ),
            "",
        ),
        (
            (
                'virtualmachineinstancemigrations.kubevirt.io "web-1-x7k2p" is forbidden: User "ops" cannot delete resource '
                '"virtualmachineinstancemigrations" in API group "kubevirt.io" in the namespace "default": change freeze until Monday'
            ),
            "change freeze until Monday",
        ),
        (
            'admission webhook "policy.example.com" denied the request: migrations are paused',
            'admission webhook "policy.example.com" denied the request: migrations are paused',
        ),
    ],
    ids=["rbac-only", "authorizer-reason", "webhook"],
)
def test_a_permission_refusal_keeps_only_what_the_server_adds_to_the_missing_right(message, kept):
    assert forbidden_reason(message) == kept
