"""Which cluster to talk to, as whom, and in which namespaces: kubeconfig files read the way kubectl reads them.

Where kubectl looks, in order: `--kubeconfig FILE` (that file only; it must exist); else every file
named in `KUBECONFIG` (colon-separated; missing files are skipped); else `~/.kube/config`; else, when
none of these gives a configuration, the in-cluster service account (KUBERNETES_SERVICE_HOST and
the token under /var/run/secrets/kubernetes.io/serviceaccount).

Several files merge as client-go merges them: the first file that sets `current-context` wins, and
the first definition of a named cluster, user or context wins (later files cannot override it).
Relative file paths (certificate-authority, client-certificate, client-key, tokenFile, and an exec
command that contains a slash) are resolved against the file that names them. The kubernetes Python
client would take current-context from the LAST file and resolve paths against the working
directory, so livemig merges the files itself and hands the client one dict with absolute paths.

Namespaces: `-n NS` (that namespace), `-A` (all), else the context's namespace, else all namespaces
(kubectl would use "default"; livemig shows everything it can, and says so in `scope_text`).
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]  # PyYAML ships no type hints

from tui.cluster.errors import (
    BAD_KUBECONFIG,
    CREDENTIALS,
    NO_KUBECONFIG,
    UNKNOWN_CONTEXT,
    ConnectError,
)
from tui.cluster.redaction import register, register_base64, register_basic_auth
from tui.cluster.tls import (
    TlsMaterial,
    decode_data,
    private_directory,
    read_pem_file,
    ssl_context,
)

SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
IN_CLUSTER_CONTEXT = "in-cluster"
IN_CLUSTER_USER = "serviceaccount"
_ENTRY_LISTS = ("clusters", "users", "contexts")


@dataclass(frozen=True)
class KubeconfigChoice:
    """What the command line says about the cluster: --kubeconfig, --context, -n, -A."""

    kubeconfig: str | None = None
    context: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False


@dataclass(frozen=True)
class ClusterTarget:
    """The chosen context, fully resolved: one merged kubeconfig dict (absolute paths) and what it selects."""

    config: Mapping[str, Any] = field(repr=False)
    context_name: str
    cluster_name: str
    user_name: str
    server: str
    namespaces: tuple[str, ...] | None  # None: all namespaces
    scope_text: str  # "namespace ns1 (from context prod)", "all namespaces (context prod sets none)", ...
    sources: tuple[str, ...]  # the files read, or ("in-cluster service account",)
    in_cluster: bool = False

    @property
    def contexts(self) -> list[str]:
        return [entry["name"] for entry in self.config.get("contexts", [])]


# ---------------------------------------------------------------------------------------------
# Finding and merging files
# ---------------------------------------------------------------------------------------------


def kubeconfig_files(explicit: str | None, environ: Mapping[str, str]) -> tuple[list[Path], str]:
    """The files to read, and in words where they came from ("--kubeconfig", "KUBECONFIG", "~/.kube/config")."""
    if explicit:
        path = Path(os.path.expanduser(explicit))
        if not path.is_file():
            what = "is a directory" if path.is_dir() else "does not exist"
            raise ConnectError(NO_KUBECONFIG, f"The kubeconfig file {explicit} given with --kubeconfig {what}.")
        return [path], "--kubeconfig"
    listed = environ.get("KUBECONFIG", "")
    if listed:
        seen: list[Path] = []
        for part in listed.split(os.pathsep):
            if not part:
                continue
            path = Path(os.path.expanduser(part))
            if path.is_file() and path not in seen:
                seen.append(path)
        return seen, "KUBECONFIG"
    home = environ.get("HOME") or os.path.expanduser("~")
    default = Path(home) / ".kube" / "config"
    return ([default] if default.is_file() else []), "~/.kube/config"


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConnectError(BAD_KUBECONFIG, f"The kubeconfig file {path} cannot be read: {error}.") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ConnectError(BAD_KUBECONFIG, f"The kubeconfig file {path} is not valid YAML{where}: {problem}.") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConnectError(BAD_KUBECONFIG, f"The kubeconfig file {path} is not a kubeconfig (it holds no mapping).")
    for name in _ENTRY_LISTS:
        entries = loaded.get(name)
        if entries is None:
            continue
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries
        ):
            raise ConnectError(
                BAD_KUBECONFIG,
                f"The kubeconfig file {path} is malformed: {name} must be a list of entries, each with a name.",
            )
    return loaded


def _absolute(value: Any, base: Path) -> Any:
    if isinstance(value, str) and value and not os.path.isabs(value):
        return str(base / value)
    return value


def _resolve_paths(kind: str, body: dict[str, Any], base: Path) -> dict[str, Any]:
    """client-go's ResolveLocalPaths: file references relative to the file that holds them."""
    body = copy.deepcopy(body)
    if kind == "clusters":
        if "certificate-authority" in body:
            body["certificate-authority"] = _absolute(body["certificate-authority"], base)
    elif kind == "users":
        for key in ("client-certificate", "client-key", "tokenFile"):
            if key in body:
                body[key] = _absolute(body[key], base)
        exec_config = body.get("exec")
        if isinstance(exec_config, dict):
            command = exec_config.get("command")
            # Only a command with a slash is a path; a bare name is looked up in PATH.
            if isinstance(command, str) and os.sep in command:
                exec_config["command"] = _absolute(command, base)
    return body


def merge_kubeconfigs(paths: list[Path]) -> dict[str, Any]:
    """One kubeconfig from several files, with kubectl's precedence (the first definition wins)."""
    merged: dict[str, Any] = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": []}
    names: dict[str, set[str]] = {name: set() for name in _ENTRY_LISTS}
    for path in paths:
        loaded = _read_file(path)
        base = path.resolve().parent
        if loaded.get("current-context") and not merged.get("current-context"):
            merged["current-context"] = loaded["current-context"]
        for kind in _ENTRY_LISTS:
            for entry in loaded.get(kind) or []:
                if entry["name"] in names[kind]:
                    continue
                names[kind].add(entry["name"])
                key = {"clusters": "cluster", "users": "user", "contexts": "context"}[kind]
                body = entry.get(key)
                if body is None:
                    body = {}
                # A body that is no mapping is kept as it is, so choosing that entry can say so.
                merged[kind].append(
                    {"name": entry["name"], key: _resolve_paths(kind, body, base) if isinstance(body, dict) else body}
                )
    return merged


def in_cluster_config(
    environ: Mapping[str, str], service_account_dir: str = SERVICE_ACCOUNT_DIR
) -> dict[str, Any] | None:
    """The service account's kubeconfig when running in a pod (kubectl's in-cluster rules), else None."""
    host, port = environ.get("KUBERNETES_SERVICE_HOST", ""), environ.get("KUBERNETES_SERVICE_PORT", "")
    directory = Path(service_account_dir)
    token = directory / "token"
    if not host or not port or not token.is_file():
        return None
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    cluster: dict[str, Any] = {"server": f"https://{host}:{port}"}
    if (directory / "ca.crt").is_file():
        cluster["certificate-authority"] = str(directory / "ca.crt")
    namespace = environ.get("POD_NAMESPACE", "")
    if not namespace and (directory / "namespace").is_file():
        try:
            namespace = (directory / "namespace").read_text(encoding="utf-8").strip()
        except OSError:
            namespace = ""
    context: dict[str, Any] = {"cluster": IN_CLUSTER_CONTEXT, "user": IN_CLUSTER_USER}
    if namespace:
        context["namespace"] = namespace
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": IN_CLUSTER_CONTEXT, "cluster": cluster}],
        "users": [{"name": IN_CLUSTER_USER, "user": {"tokenFile": str(token)}}],
        "contexts": [{"name": IN_CLUSTER_CONTEXT, "context": context}],
        "current-context": IN_CLUSTER_CONTEXT,
    }


# ---------------------------------------------------------------------------------------------
# Choosing the context
# ---------------------------------------------------------------------------------------------


def _named(config: Mapping[str, Any], kind: str, name: str) -> dict[str, Any] | None:
    for entry in config.get(kind, []):
        if entry.get("name") == name:
            found: dict[str, Any] = entry
            return found
    return None


def _known(config: Mapping[str, Any]) -> str:
    return _names(config, "contexts")


def _names(config: Mapping[str, Any], kind: str) -> str:
    names = [entry["name"] for entry in config.get(kind, [])]
    return ", ".join(names) if names else "none"


def _body(entry: Mapping[str, Any], key: str, what: str, files: str) -> dict[str, Any]:
    """The mapping under an entry's `key` (`context`, `cluster`, `user`); ConnectError when it is none."""
    body = entry.get(key)
    if not isinstance(body, dict):
        raise ConnectError(
            BAD_KUBECONFIG,
            # The value itself is not shown: a user's may be a token pasted in the wrong place.
            f"{what} in the kubeconfig ({files}) is malformed: its {key}: must be a mapping of fields "
            f"({_FIELDS[key]}), not {_KINDS_OF_VALUE.get(type(body).__name__, type(body).__name__)}.",
        )
    return body


_FIELDS = {
    "context": "cluster, user, namespace",
    "cluster": "server, certificate-authority-data, ...",
    "user": "token, client-certificate-data, exec, ...",
}
_KINDS_OF_VALUE = {"str": "a string", "list": "a list", "int": "a number", "float": "a number", "bool": "true or false"}


def _with_scheme(server: str, cluster: Mapping[str, Any]) -> str:
    """A server URL with its scheme. Without one, client-go (and so kubectl) uses https when the
    cluster has TLS settings (a certificate authority, or insecure-skip-tls-verify), else http."""
    if "://" in server:
        return server
    tls = any(
        cluster.get(key) for key in ("certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify")
    )
    return ("https://" if tls else "http://") + server


def choose_target(
    choice: KubeconfigChoice,
    environ: Mapping[str, str] | None = None,
    service_account_dir: str = SERVICE_ACCOUNT_DIR,
) -> ClusterTarget:
    """Read the kubeconfig (or the in-cluster account) and resolve the context; raises ConnectError."""
    environ = os.environ if environ is None else environ
    paths, origin = kubeconfig_files(choice.kubeconfig, environ)
    config = merge_kubeconfigs(paths)
    sources = tuple(str(path) for path in paths)
    in_cluster = False
    if not config["contexts"] and not config["clusters"] and not choice.kubeconfig:
        found = in_cluster_config(environ, service_account_dir)
        if found is not None and not choice.context:
            config, sources, in_cluster = found, ("in-cluster service account",), True
    if not config["contexts"]:
        if not paths:
            raise ConnectError(
                NO_KUBECONFIG,
                "No kubeconfig found: --kubeconfig was not given, "
                + (
                    "no file named in KUBECONFIG exists"
                    if origin == "KUBECONFIG"
                    else "KUBECONFIG is not set, ~/.kube/config does not exist"
                )
                + ", and livemig is not running inside a cluster. Point --kubeconfig or KUBECONFIG at the file "
                "kubectl uses for your cluster (for Harvester: download it from the UI's Support page), or try "
                "`livemig --demo` to see livemig work against a simulated cluster.",
            )
        raise ConnectError(NO_KUBECONFIG, f"The kubeconfig ({', '.join(sources)}) defines no contexts.")

    name = choice.context or config.get("current-context") or ""
    if not name:
        raise ConnectError(
            UNKNOWN_CONTEXT,
            f"The kubeconfig ({', '.join(sources)}) sets no current context; choose one with --context "
            f"(known contexts: {_known(config)}).",
        )
    context_entry = _named(config, "contexts", name)
    if context_entry is None:
        where = "given with --context" if choice.context else "named as current-context"
        raise ConnectError(
            UNKNOWN_CONTEXT,
            f'The context "{name}" {where} is not in the kubeconfig ({", ".join(sources)}); '
            f"known contexts: {_known(config)}.",
        )
    files = ", ".join(sources)
    context = _body(context_entry, "context", f'The context "{name}"', files)
    cluster_name = context.get("cluster")
    if not isinstance(cluster_name, str) or not cluster_name:
        raise ConnectError(
            BAD_KUBECONFIG,
            f'The context "{name}" in the kubeconfig ({files}) names no cluster'
            + (f" (its cluster is {cluster_name!r}, not a name)." if cluster_name else "."),
        )
    cluster_entry = _named(config, "clusters", cluster_name)
    if cluster_entry is None:
        raise ConnectError(
            BAD_KUBECONFIG,
            f'The context "{name}" names the cluster "{cluster_name}", which the kubeconfig ({files}) does not define.',
        )
    cluster = _body(cluster_entry, "cluster", f'The cluster "{cluster_name}"', files)
    server = cluster.get("server")
    if not isinstance(server, str) or not server:
        raise ConnectError(BAD_KUBECONFIG, f'The cluster "{cluster_name}" in the kubeconfig has no server URL.')
    server = _with_scheme(server.strip(), cluster)
    user_name = context.get("user", "")
    if user_name is None:
        user_name = ""
    if not isinstance(user_name, str):
        raise ConnectError(
            BAD_KUBECONFIG,
            f'The context "{name}" in the kubeconfig ({files}) names its user as {user_name!r}, not by a name.',
        )
    if user_name:
        user_entry = _named(config, "users", user_name)
        if user_entry is None:
            # Going on would send no credentials, and the server's 401 would blame an expired token.
            raise ConnectError(
                BAD_KUBECONFIG,
                f'The context "{name}" names the user "{user_name}", which the kubeconfig ({files}) does not define '
                f"(users: {_names(config, 'users')}).",
            )
        _body(user_entry, "user", f'The user "{user_name}"', files)

    context_namespace = context.get("namespace") if isinstance(context.get("namespace"), str) else ""
    if choice.all_namespaces:
        namespaces, scope = None, "all namespaces"
    elif choice.namespace:
        namespaces, scope = (choice.namespace,), f"namespace {choice.namespace}"
    elif context_namespace:
        namespaces, scope = (context_namespace,), f"namespace {context_namespace} (from context {name})"
    else:
        namespaces, scope = None, f"all namespaces (context {name} sets no namespace)"

    # The client reads the context named current-context: make it the chosen one, with the server
    # URL as livemig reads it; entries that are no mapping (not chosen, so harmless) become empty.
    resolved = copy.deepcopy(dict(config))
    resolved["current-context"] = name
    for kind, key in (("clusters", "cluster"), ("users", "user"), ("contexts", "context")):
        for entry in resolved.get(kind, []):
            if not isinstance(entry.get(key), dict):
                entry[key] = {}
    for entry in resolved.get("clusters", []):
        if entry.get("name") == cluster_name:
            entry["cluster"]["server"] = server
    return ClusterTarget(
        config=resolved,
        context_name=name,
        cluster_name=cluster_name,
        user_name=user_name,
        server=server.rstrip("/"),
        namespaces=namespaces,
        scope_text=scope,
        sources=sources,
        in_cluster=in_cluster,
    )


# ---------------------------------------------------------------------------------------------
# The kubernetes client's configuration
# ---------------------------------------------------------------------------------------------


class _CapturedErrors(logging.Handler):
    """The client logs (rather than raises) a failing exec credential plugin: catch what it says."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage())
        except Exception:  # noqa: BLE001 - a malformed log record must not break connecting
            self.messages.append(str(record.msg))


_SECRET_FIELDS = ("token", "password")
_AUTH_PROVIDER_SECRETS = ("id-token", "refresh-token", "client-secret", "access-token")


def _register_credentials(user: Mapping[str, Any]) -> None:
    """Every credential of the user, so no message can show it (tui/cluster/redaction.py)."""
    register(*(user.get(key) for key in _SECRET_FIELDS))
    register_basic_auth(user.get("username"), user.get("password"))
    register_base64(user.get("client-key-data"))
    token_file = user.get("tokenFile")
    if isinstance(token_file, str) and token_file:
        try:
            register(Path(token_file).read_text(encoding="utf-8", errors="replace").strip())
        except OSError:
            pass  # the client says it cannot read it
    provider = user.get("auth-provider")
    settings = provider.get("config") if isinstance(provider, dict) else None
    if isinstance(settings, dict):
        register(*(settings.get(key) for key in _AUTH_PROVIDER_SECRETS))


def _entry_body(config: Mapping[str, Any], kind: str, key: str, name: str) -> dict[str, Any]:
    entry = _named(config, kind, name) if name else None
    body = (entry or {}).get(key)
    return body if isinstance(body, dict) else {}


def _taken(body: dict[str, Any], data_key: str, file_key: str, what: str) -> tuple[bytes | None, str]:
    """Take a PEM field out of a kubeconfig body (the data wins over the file, as in client-go):
    its bytes and its name for messages; (None, "") when neither is set."""
    data, path = body.pop(data_key, None), body.pop(file_key, None)
    if data:
        return decode_data(data, f"{data_key} of {what}"), f"{data_key} of {what}"
    if isinstance(path, str) and path:
        return read_pem_file(path, f"{file_key} of {what}"), f"{file_key} file {path} of {what}"
    return None, ""


def _plugin_output(path: Any, directory: str) -> bytes | None:
    """A certificate or key an exec plugin gave, which the client wrote under `directory`: its bytes."""
    if isinstance(path, str) and path.startswith(directory + os.sep):
        try:
            return Path(path).read_bytes()
        except OSError:
            return None
    return None


def client_configuration(target: ClusterTarget, pool_size: int = 32) -> Any:
    """A kubernetes.client.Configuration for the target's context. Runs an exec credential plugin now
    (so an interactive login happens before any full-screen UI); raises ConnectError.

    Certificates and keys never stay on disk: the client is given the kubeconfig without them, and
    `livemig_ssl_context` (tui/cluster/tls.py) holds them in memory for the transport. What an exec
    plugin returns as a certificate and key, the client writes to a private directory that is read
    back and removed before this returns."""
    from kubernetes.client import Configuration
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import KubeConfigLoader

    config = copy.deepcopy(dict(target.config))
    user_body = _entry_body(config, "users", "user", target.user_name)
    cluster_body = _entry_body(config, "clusters", "cluster", target.cluster_name)
    _register_credentials(user_body)
    user_words, cluster_words = f'user "{target.user_name}"', f'cluster "{target.cluster_name}"'
    ca, ca_source = _taken(cluster_body, "certificate-authority-data", "certificate-authority", cluster_words)
    certificate, certificate_source = _taken(user_body, "client-certificate-data", "client-certificate", user_words)
    key, key_source = _taken(user_body, "client-key-data", "client-key", user_words)

    configuration = type.__call__(Configuration)  # not a copy of the process-wide default
    captured = _CapturedErrors()
    root = logging.getLogger()
    root.addHandler(captured)
    directory = private_directory()
    try:
        loader = KubeConfigLoader(  # type: ignore[no-untyped-call]  # the kubernetes client is untyped
            config_dict=config, active_context=target.context_name, config_base_path="", temp_file_path=directory
        )
        loader.load_and_set(configuration)  # type: ignore[no-untyped-call]
        plugin_certificate = _plugin_output(configuration.cert_file, directory)
        plugin_key = _plugin_output(configuration.key_file, directory)
    except ConfigException as error:
        raise ConnectError(
            BAD_KUBECONFIG, f'The kubeconfig context "{target.context_name}" cannot be used: {error}.'
        ) from None
    except Exception as error:  # noqa: BLE001 - the client's auth providers fail in many ways (missing packages, bad fields)
        raise ConnectError(
            BAD_KUBECONFIG,
            f'The kubeconfig context "{target.context_name}" cannot be used: {type(error).__name__}: {error}.',
        ) from None
    finally:
        root.removeHandler(captured)
        shutil.rmtree(directory, ignore_errors=True)
    token = configuration.api_key.get("BearerToken")
    credential = token.strip().partition(" ")[2].strip() if isinstance(token, str) else ""
    register(credential)
    if any(character in credential for character in "\r\n\t"):
        # Trimming (as kubectl does) removes line breaks around a token, never inside it.
        raise ConnectError(
            CREDENTIALS,
            f'The token of user "{target.user_name}" has a line break or tab inside it, which an HTTP header cannot '
            "carry: it was probably pasted across lines; put it on one line in the kubeconfig (or the tokenFile).",
        )
    exec_config = user_body.get("exec")
    if plugin_certificate and plugin_key:
        certificate, key = plugin_certificate, plugin_key
        certificate_source, key_source = (
            "clientCertificateData of the credential plugin",
            "clientKeyData of the credential plugin",
        )
    has_credentials = bool(token) or bool(certificate)
    if isinstance(exec_config, dict) and not has_credentials:
        command = exec_config.get("command", "")
        detail = (
            "; ".join(message.strip() for message in captured.messages if message.strip()) or "it gave no credentials"
        )
        raise ConnectError(
            CREDENTIALS,
            f'The credential plugin of user "{target.user_name}" ({command}) failed: {detail}. Run it by hand to '
            "see what it needs (a login, a network, a tool in PATH).",
        )
    configuration.ssl_ca_cert = configuration.cert_file = configuration.key_file = None
    configuration.livemig_ssl_context = None
    if target.server.startswith("https://"):
        material = TlsMaterial(ca, certificate, key, ca_source, certificate_source, key_source)
        configuration.livemig_ssl_context = ssl_context(material, verify=bool(configuration.verify_ssl))
    configuration.retries = False  # livemig decides what to retry; urllib3 must not repeat requests
    configuration.connection_pool_maxsize = pool_size
    cluster = (_named(target.config, "clusters", target.cluster_name) or {}).get("cluster") or {}
    if cluster.get("proxy-url"):
        # kubectl uses a kubeconfig proxy-url for every request; NO_PROXY applies to environment proxies only.
        configuration.no_proxy = None
    return configuration
