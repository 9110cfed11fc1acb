"""The simulated API server's TLS identity: kubectl only sends bearer tokens over TLS.

A fixed self-signed certificate for 127.0.0.1, ::1 and localhost (valid 2020-2120), which is also the
certificate authority written into the simulator's kubeconfigs. It secures nothing: the simulator only
listens on loopback and holds no real data; it exists because clients insist on TLS for tokens.
"""

from __future__ import annotations

import base64
import ssl
import tempfile
from pathlib import Path

CERTIFICATE_PEM = """\
-----BEGIN CERTIFICATE-----
MIIB6DCCAY+gAwIBAgIBATAKBggqhkjOPQQDAjAoMRQwEgYDVQQDDAtsaXZlbWln
LXNpbTEQMA4GA1UECgwHbGl2ZW1pZzAgFw0yMDAxMDEwMDAwMDBaGA8yMTIwMDEw
MTAwMDAwMFowKDEUMBIGA1UEAwwLbGl2ZW1pZy1zaW0xEDAOBgNVBAoMB2xpdmVt
aWcwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAThYmZBxIk3SGG3FYKjwUjPYMbX
MUkXdWWS+jz0oa3kkArWr+Ht01+uL2X5kbRKYZzFnIioRo048rtI+vVDrT+yo4Gn
MIGkMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgKkMBMGA1UdJQQMMAoG
CCsGAQUFBwMBMCwGA1UdEQQlMCOHBH8AAAGHEAAAAAAAAAAAAAAAAAAAAAGCCWxv
Y2FsaG9zdDAdBgNVHQ4EFgQUupfrJbyqBbEsS9ucMWOI1Fz+DK0wHwYDVR0jBBgw
FoAUupfrJbyqBbEsS9ucMWOI1Fz+DK0wCgYIKoZIzj0EAwIDRwAwRAIgXUw6PFEx
h975sRNBtI4aF7gLTxTslOYLq7Eri9QcF7QCIB9rJjmfwpl2fThcCyM6l4UQMGst
h89levDhZ36o/AE4
-----END CERTIFICATE-----
"""

PRIVATE_KEY_PEM = """\
-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIJALuclYX1aBoPCEr4CzaMtrGHbzUNdXA78/TvqrNQjeoAoGCCqGSM49
AwEHoUQDQgAE4WJmQcSJN0hhtxWCo8FIz2DG1zFJF3Vlkvo89KGt5JAK1q/h7dNf
ri9l+ZG0SmGcxZyIqEaNOPK7SPr1Q60/sg==
-----END EC PRIVATE KEY-----
"""


def certificate_authority_data() -> str:
    """The certificate, base64-encoded as kubeconfig's `certificate-authority-data` wants it."""
    return base64.b64encode(CERTIFICATE_PEM.encode()).decode()


def server_ssl_context() -> ssl.SSLContext:
    """A server-side SSL context with the simulator's certificate and key."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as directory:
        cert = Path(directory) / "tls.crt"
        key = Path(directory) / "tls.key"
        cert.write_text(CERTIFICATE_PEM)
        key.write_text(PRIVATE_KEY_PEM)
        context.load_cert_chain(cert, key)
    return context
