"""TLS from a kubeconfig, held in memory: one SSL context per connection, built once from the data.

The kubernetes client would write `certificate-authority-data`, `client-certificate-data` and
`client-key-data` to files in /tmp and let urllib3 read them again for every new connection: a tmp
cleaner deleting them breaks every reconnect, and a killed process leaves the private key behind.
livemig reads the data (or the files the kubeconfig names) once, into an SSLContext: the CA with
`load_verify_locations(cadata=...)`, the client certificate and key through anonymous in-memory files
(Linux memfd, gone with the process whatever ends it). Where there is no memfd, the key goes for
the instant of loading to a private directory (0700, under $XDG_RUNTIME_DIR when set), removed at
once, before any connection is made.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import shutil
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from urllib3.util.ssl_ import create_urllib3_context

from tui.cluster.errors import BAD_KUBECONFIG, ConnectError
from tui.cluster.redaction import register


@dataclass(frozen=True)
class TlsMaterial:
    """PEM bytes for the connection, and where each came from in words (for error messages)."""

    ca: bytes | None = field(default=None, repr=False)
    certificate: bytes | None = field(default=None, repr=False)
    key: bytes | None = field(default=None, repr=False)
    ca_source: str = ""
    certificate_source: str = ""
    key_source: str = ""


def decode_data(value: object, what: str) -> bytes:
    """A kubeconfig `*-data` field (base64 of PEM) as bytes; ConnectError naming `what` when it is not base64."""
    if not isinstance(value, str) or not value.strip():
        raise ConnectError(BAD_KUBECONFIG, f"The {what} in the kubeconfig is empty or not a string.")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ConnectError(BAD_KUBECONFIG, f"The {what} in the kubeconfig is not valid base64.") from None


def read_pem_file(path: str, what: str) -> bytes:
    """A file a kubeconfig names (certificate-authority, client-certificate, client-key), read once."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ConnectError(
            BAD_KUBECONFIG, f"The file {path}, the {what} in the kubeconfig, cannot be read: {error.strerror or error}."
        ) from None


def private_directory() -> str:
    """A new directory only this user can enter: under $XDG_RUNTIME_DIR (a per-user tmpfs removed at
    logout) when it exists, else the system's temporary directory."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    base = runtime if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK) else None
    return tempfile.mkdtemp(prefix="livemig-", dir=base)  # mkdtemp makes it 0700


@contextlib.contextmanager
def _in_memory_files(*contents: bytes) -> Iterator[list[str]]:
    """Paths that OpenSSL can open, holding `contents`: memfds where the system has them, else files
    in a private directory; both gone when the block ends."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None and os.path.isdir("/proc/self/fd"):
        descriptors: list[int] = []
        try:
            for index, content in enumerate(contents):
                descriptor = memfd(f"livemig-tls-{index}", getattr(os, "MFD_CLOEXEC", 0))
                descriptors.append(descriptor)
                view = memoryview(content)
                while view:
                    view = view[os.write(descriptor, view) :]
            yield [f"/proc/self/fd/{descriptor}" for descriptor in descriptors]
        finally:
            for descriptor in descriptors:
                os.close(descriptor)
        return
    directory = private_directory()
    try:
        paths = []
        for index, content in enumerate(contents):
            path = os.path.join(directory, f"tls-{index}.pem")
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(content)
            paths.append(path)
        yield paths
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _no_password() -> bytes:
    # An encrypted key would make OpenSSL ask on the terminal; kubeconfig keys carry no passphrase.
    return b""


def ssl_context(material: TlsMaterial, verify: bool) -> ssl.SSLContext:
    """The context every connection of a session uses; ConnectError names the kubeconfig field at fault."""
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED if verify else ssl.CERT_NONE)
    if verify:
        if material.ca:
            try:
                context.load_verify_locations(cadata=material.ca.decode("ascii"))
            except (ssl.SSLError, UnicodeDecodeError, ValueError):
                raise ConnectError(
                    BAD_KUBECONFIG, f"The {material.ca_source} in the kubeconfig holds no valid PEM certificate."
                ) from None
        else:
            context.load_default_certs()
    if material.certificate or material.key:
        if not (material.certificate and material.key):
            missing = material.key_source if not material.key else material.certificate_source
            raise ConnectError(
                BAD_KUBECONFIG,
                f"The kubeconfig gives a client certificate or key without the other ({missing} is missing).",
            )
        register(material.key)
        try:
            create_urllib3_context().load_verify_locations(cadata=material.certificate.decode("ascii"))
        except (ssl.SSLError, UnicodeDecodeError, ValueError):
            raise ConnectError(
                BAD_KUBECONFIG, f"The {material.certificate_source} in the kubeconfig holds no valid PEM certificate."
            ) from None
        with _in_memory_files(material.certificate, material.key) as (certificate, key):
            try:
                context.load_cert_chain(certificate, key, password=_no_password)
            except (ssl.SSLError, OSError) as error:
                if "KEY_VALUES_MISMATCH" in str(error).upper():
                    problem = f"does not belong to the certificate of {material.certificate_source}"
                else:
                    problem = "holds no valid PEM private key (or an encrypted one, which kubeconfig cannot use)"
                raise ConnectError(BAD_KUBECONFIG, f"The {material.key_source} in the kubeconfig {problem}.") from None
    return context
