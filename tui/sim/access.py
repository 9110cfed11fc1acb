"""Who may do what: the scenario's users, their bearer tokens, RBAC-style rules, and the answers a real
authorizer gives (403 wording, SelfSubjectAccessReview status)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from tui.sim import status as st

ADMIN = "admin"
VIEWER = "viewer"
READ_VERBS = ("get", "list", "watch")


@dataclass(frozen=True)
class AccessRule:
    """An RBAC PolicyRule bound cluster-wide (no namespaces, or "*") or in the listed namespaces."""

    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ("*",)
    resources: tuple[str, ...] = ("*",)
    namespaces: tuple[str, ...] = ()

    def allows(self, verb: str, group: str, resource: str, namespace: str) -> bool:
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        if "*" not in self.api_groups and group not in self.api_groups:
            return False
        if not _resource_matches(self.resources, resource):
            return False
        if self.namespaces and "*" not in self.namespaces:
            # A RoleBinding grants nothing at the cluster scope or across all namespaces.
            return bool(namespace) and namespace in self.namespaces
        return True

    def applies_in(self, namespace: str) -> bool:
        """Whether the rule holds for requests in `namespace` (bound cluster-wide, or there)."""
        return not self.namespaces or "*" in self.namespaces or namespace in self.namespaces

    def resource_rule(self) -> dict[str, Any]:
        """The rule as a SelfSubjectRulesReview lists it (authorization.k8s.io/v1 ResourceRule)."""
        return {"verbs": list(self.verbs), "apiGroups": list(self.api_groups), "resources": list(self.resources)}


def _resource_matches(patterns: tuple[str, ...], resource: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == resource:
            return True
        if pattern.startswith("*/") and "/" in resource and resource.split("/", 1)[1] == pattern[2:]:
            return True
    return False


ADMIN_RULES = (AccessRule(verbs=("*",)),)
VIEWER_RULES = (AccessRule(verbs=READ_VERBS),)

# What every authenticated user holds through the bootstrap ClusterRoles (bootstrappolicy/policy.go in
# kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac): system:basic-user, then system:discovery
# and system:public-info-viewer; cluster-admin adds every verb on every non-resource URL.
BASIC_USER_RULES = (
    {
        "verbs": ["create"],
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
    },
)
DISCOVERY_URL_RULES = (
    {
        "verbs": ["get"],
        "nonResourceURLs": [
            "/livez",
            "/readyz",
            "/healthz",
            "/version",
            "/version/",
            "/openapi",
            "/openapi/*",
            "/api",
            "/api/*",
            "/apis",
            "/apis/*",
        ],
    },
    {"verbs": ["get"], "nonResourceURLs": ["/livez", "/readyz", "/healthz", "/version", "/version/"]},
)
CLUSTER_ADMIN_URL_RULES = ({"verbs": ["*"], "nonResourceURLs": ["*"]},)


@dataclass(frozen=True)
class SimUser:
    """A user of the simulated cluster: name, bearer token, and a role (`admin`, `viewer`) or own rules."""

    name: str
    token: str
    role: str = ""
    rules: tuple[AccessRule, ...] = ()

    @property
    def effective_rules(self) -> tuple[AccessRule, ...]:
        if self.role == ADMIN:
            return ADMIN_RULES
        if self.role == VIEWER:
            return VIEWER_RULES
        return self.rules

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def _scope(namespace: str) -> str:
    return f'in the namespace "{namespace}"' if namespace else "at the cluster scope"


class AccessControl:
    """Authenticates bearer tokens and authorizes requests against the users' rules."""

    def __init__(self, users: Iterable[SimUser]) -> None:
        self.users = tuple(users)
        self._by_token = {user.token: user for user in self.users}

    def authenticate(self, authorization: str | None) -> SimUser:
        """The user of an `Authorization: Bearer <token>` header; ApiError 401 otherwise."""
        if authorization:
            scheme, _, token = authorization.partition(" ")
            user = self._by_token.get(token.strip()) if scheme.lower() == "bearer" else None
            if user is not None:
                return user
        raise st.unauthorized()

    def allowed(self, user: SimUser, verb: str, group: str, resource: str, namespace: str = "") -> bool:
        """Whether `user` may `verb` the `resource` ("pods", "virtualmachines/status") of `group`."""
        return any(rule.allows(verb, group, resource, namespace) for rule in user.effective_rules)

    def require(
        self,
        user: SimUser,
        verb: str,
        group: str,
        plural: str,
        subresource: str = "",
        namespace: str = "",
        name: str = "",
    ) -> None:
        """ApiError 403, worded as the RBAC authorizer words it, unless allowed."""
        resource = f"{plural}/{subresource}" if subresource else plural
        if self.allowed(user, verb, group, resource, namespace):
            return
        reason = f'User "{user.name}" cannot {verb} resource "{resource}" in API group "{group}" {_scope(namespace)}'
        raise st.forbidden(plural, group, name, reason)

    def require_path(self, user: SimUser, verb: str, path: str) -> None:
        """Non-resource URLs: everyone reads discovery; only admins use the simulator's own endpoints."""
        if self.path_allowed(user, verb, path):
            return
        raise st.ApiError(403, "Forbidden", f'forbidden: User "{user.name}" cannot {verb} path "{path}"', {})

    def path_allowed(self, user: SimUser, verb: str, path: str) -> bool:
        if user.is_admin:
            return True
        return verb == "get" and not path.startswith("/livemig-sim/")

    def rules_review(self, user: SimUser, review: Any) -> dict[str, Any]:
        """The answer to a SelfSubjectRulesReview (`kubectl auth can-i --list`): every rule that holds
        for `user` in spec.namespace, as pkg/registry/authorization/selfsubjectrulesreview answers it
        (its spec left empty); 400 "no namespace on request" without a namespace."""
        spec = review.get("spec") if isinstance(review, dict) else None
        namespace = spec.get("namespace") if isinstance(spec, dict) else None
        if not isinstance(namespace, str) or not namespace:
            raise st.bad_request("no namespace on request")
        resource_rules = [rule.resource_rule() for rule in user.effective_rules if rule.applies_in(namespace)]
        url_rules = (CLUSTER_ADMIN_URL_RULES if user.is_admin else ()) + DISCOVERY_URL_RULES
        return {
            "kind": "SelfSubjectRulesReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": {},
            "status": {
                "resourceRules": resource_rules + [dict(rule) for rule in BASIC_USER_RULES],
                "nonResourceRules": [dict(rule) for rule in url_rules],
                "incomplete": False,
            },
        }

    def review(self, user: SimUser, review: Any) -> dict[str, Any]:
        """The answer to a SelfSubjectAccessReview (status.allowed, and the reason when allowed)."""
        if not isinstance(review, dict) or not isinstance(review.get("spec"), dict):
            raise st.invalid(
                "SelfSubjectAccessReview",
                "authorization.k8s.io",
                "",
                [
                    st.field_invalid(
                        "spec", "null", "exactly one of nonResourceAttributes or resourceAttributes must be specified"
                    )
                ],
            )
        spec = review["spec"]
        attributes = spec.get("resourceAttributes")
        non_resource = spec.get("nonResourceAttributes")
        if isinstance(attributes, dict) == isinstance(non_resource, dict):
            raise st.invalid(
                "SelfSubjectAccessReview",
                "authorization.k8s.io",
                "",
                [
                    st.field_invalid(
                        "spec.resourceAttributes",
                        "null",
                        "exactly one of nonResourceAttributes or resourceAttributes must be specified",
                    )
                ],
            )
        if isinstance(attributes, dict):
            resource = str(attributes.get("resource", ""))
            if attributes.get("subresource"):
                resource += f"/{attributes['subresource']}"
            allowed = self.allowed(
                user,
                str(attributes.get("verb", "")),
                str(attributes.get("group", "")),
                resource,
                str(attributes.get("namespace", "")),
            )
        else:
            allowed = self.path_allowed(user, str(non_resource.get("verb", "")), str(non_resource.get("path", "")))
        status: dict[str, Any] = {"allowed": allowed}
        if allowed:
            binding = (
                "cluster-admin" if user.is_admin else "view" if user.role == VIEWER else f"livemig-sim:{user.name}"
            )
            status["reason"] = (
                f'RBAC: allowed by ClusterRoleBinding "livemig-sim-{user.name}" of ClusterRole "{binding}" to User "{user.name}"'
            )
        return {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": spec,
            "status": status,
        }
