"""Kubernetes Status errors: the exception the simulated API server raises and the body it answers with.

Wording follows k8s.io/apimachinery/pkg/api/errors, so clients that match on messages or reasons
(kubectl, the Python client, livemig itself) see exactly what a real API server would send.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A failed API call: HTTP code, machine-readable reason, human message and optional details."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        list_continue: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}
        self.list_continue = list_continue

    def status(self) -> dict[str, Any]:
        """The Status object a real server sends as the body of this error."""
        metadata: dict[str, Any] = {}
        if self.list_continue:
            metadata["continue"] = self.list_continue
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": metadata,
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
        }
        if self.details:
            body["details"] = self.details
        body["code"] = self.code
        return body

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.reason!r}, {self.message!r})"


def qualified_resource(plural: str, group: str) -> str:
    """`pods` for the core group, `virtualmachines.kubevirt.io` otherwise (GroupResource.String())."""
    return f"{plural}.{group}" if group else plural


def _details(name: str, group: str, kind: str, **extra: Any) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = kind
    details.update(extra)
    return details


def not_found(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{qualified_resource(plural, group)} "{name}" not found',
        _details(name, group, plural),
    )


def already_exists(plural: str, group: str, name: str) -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{qualified_resource(plural, group)} "{name}" already exists',
        _details(name, group, plural),
    )


CONFLICT_MODIFIED = "the object has been modified; please apply your changes to the latest version and try again"


def conflict(plural: str, group: str, name: str, why: str = CONFLICT_MODIFIED) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified_resource(plural, group)} "{name}": {why}',
        _details(name, group, plural),
    )


def invalid(kind: str, group: str, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 Invalid: `VirtualMachine.kubevirt.io "x" is invalid: <field>: <message>[, ...]`."""
    qualified_kind = f"{kind}.{group}" if group else kind
    rendered = [f"{cause['field']}: {cause['message']}" if cause.get("field") else cause["message"] for cause in causes]
    summary = rendered[0] if len(rendered) == 1 else "[" + ", ".join(rendered) + "]"
    return ApiError(
        422,
        "Invalid",
        f'{qualified_kind} "{name}" is invalid: {summary}',
        _details(name, group, kind, causes=causes),
    )


def field_invalid(field: str, value: Any, detail: str) -> dict[str, str]:
    """One FieldValueInvalid cause, rendered as field.Invalid(...) renders it."""
    shown = f'"{value}"' if isinstance(value, str) else str(value)
    return {"reason": "FieldValueInvalid", "message": f"Invalid value: {shown}: {detail}", "field": field}


def field_required(field: str, detail: str) -> dict[str, str]:
    return {"reason": "FieldValueRequired", "message": f"Required value: {detail}", "field": field}


def field_forbidden(field: str, detail: str) -> dict[str, str]:
    return {"reason": "FieldValueForbidden", "message": f"Forbidden: {detail}", "field": field}


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_supported(plural: str, group: str, action: str) -> ApiError:
    return ApiError(
        405,
        "MethodNotAllowed",
        f'{action} is not supported on resources of kind "{qualified_resource(plural, group)}"',
        _details("", group, plural),
    )


def expired(message: str, list_continue: str | None = None) -> ApiError:
    return ApiError(410, "Expired", message, list_continue=list_continue)


def too_old_resource_version(requested: int, oldest: int) -> ApiError:
    return expired(f"too old resource version: {requested} ({oldest})")


# The watch cache waits this long for a resourceVersion it has not reached, then asks the client to
# retry after a second (blockTimeout and resourceVersionTooHighRetrySeconds in
# k8s.io/apiserver/pkg/storage/cacher/watch_cache.go).
TOO_LARGE_WAIT_SECONDS = 3.0
TOO_LARGE_RETRY_SECONDS = 1


def too_large_resource_version(requested: int, current: int) -> ApiError:
    """504 for a read at a resourceVersion the server has not reached, as
    k8s.io/apiserver/pkg/storage/errors.go NewTooLargeResourceVersionError builds it (a Timeout error,
    hence the "Timeout: " prefix apimachinery's NewTimeoutError adds, with a ResourceVersionTooLarge cause)."""
    return ApiError(
        504,
        "Timeout",
        f"Timeout: Too large resource version: {requested}, current: {current}",
        {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": TOO_LARGE_RETRY_SECONDS,
        },
        headers={"Retry-After": str(TOO_LARGE_RETRY_SECONDS)},
    )


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def forbidden(plural: str, group: str, name: str, reason: str) -> ApiError:
    """403 as the authorizer writes it: `<resource> "<name>" is forbidden: <reason>`."""
    target = qualified_resource(plural, group)
    subject = f'{target} "{name}"' if name else target
    return ApiError(403, "Forbidden", f"{subject} is forbidden: {reason}", _details(name, group, plural))


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: " + ", ".join(accepted),
    )


def internal_error(message: str) -> ApiError:
    return ApiError(
        500,
        "InternalError",
        f"Internal error occurred: {message}",
        {"causes": [{"message": message}]},
    )


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
        {"retryAfterSeconds": retry_after},
        headers={"Retry-After": str(retry_after)},
    )


def service_unavailable(message: str) -> ApiError:
    return ApiError(503, "ServiceUnavailable", message)


def success_status(name: str, group: str, plural: str, uid: str) -> dict[str, Any]:
    """What DELETE answers for resources that do not return the deleted object."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": _details(name, group, plural, uid=uid),
    }


def eviction_success() -> dict[str, Any]:
    """What POST pods/NAME/eviction answers (201) when the pod is being deleted."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}


def disruption_budget_violated(budget: str, desired: int, current: int) -> ApiError:
    """An eviction the pod's PodDisruptionBudget does not allow (pkg/registry/core/pod/storage/eviction.go)."""
    cause = {
        "reason": "DisruptionBudget",
        "message": f"The disruption budget {budget} needs {desired} healthy pods and has {current} currently",
    }
    return ApiError(
        429,
        "TooManyRequests",
        "Cannot evict pod as it would violate the pod's disruption budget.",
        {"causes": [cause]},
    )
