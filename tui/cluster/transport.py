"""HTTP to one API server: requests and watch streams as raw bytes, over the kubernetes client's connection pool.

The kubernetes client gives livemig what is hard to get right (TLS from the kubeconfig, client
certificates, proxies, bearer tokens refreshed by exec plugins); livemig keeps the bytes and decodes
only what it needs, because the client's typed models are far too slow for 10,000 objects. Every
answer's Date header feeds `ServerClock`, so remaining-timeout countdowns use the cluster's time.
"""

from __future__ import annotations

import email.utils
import socket
import statistics
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import orjson
import urllib3

from tui import __version__
from tui.cluster.errors import ApiError, TransportError, describe_transport_error
from tui.cluster.redaction import register

USER_AGENT = f"livemig/{__version__}"
DEFAULT_TIMEOUT = (10.0, 30.0)  # (connect, read) seconds

# An insecure-skip-tls-verify cluster would print a warning per request across the terminal UI.
warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)


@dataclass(frozen=True)
class Response:
    """A 2xx answer: status, headers (lower-case names) and the body's bytes."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    data: bytes = b""

    def json(self) -> Any:
        return orjson.loads(self.data) if self.data else None

    @property
    def warnings(self) -> list[str]:
        """The server's Warning headers' texts (`299 - "unknown field ..."`)."""
        raw = self.headers.get("warning", "")
        found = []
        for part in raw.split(", 299 ") if raw else []:
            text = part.strip()
            text = text.removeprefix("299 ")
            text = text.lstrip("- ").strip()
            if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
                text = text[1:-1]
            if text:
                found.append(text)
        return found


def authorization_value(value: str | None) -> str | None:
    """The Authorization header for the client's "Bearer <token>" (or "Basic ..."), the token trimmed
    as kubectl trims it: client-go's file token source (transport/token_source.go) applies
    strings.TrimSpace to what it reads, so a tokenFile written by `echo` (a trailing newline) or with
    CRLF works; livemig trims inline and exec plugin tokens the same way, since a header cannot
    carry a line break anyway. The credential is registered for redaction."""
    if not value:
        return None
    scheme, _, credential = value.strip().partition(" ")
    credential = credential.strip()
    register(credential)
    return f"{scheme} {credential}" if credential else None


class ServerClock:
    """The API server's time, estimated from the Date headers of its answers (1 s resolution).

    Each answer gives an offset: Date + 0.5 s (the header truncates to the second) minus the local
    time halfway through the request; the median of the last few is used, so one slow answer does
    not move the clock.
    """

    def __init__(self, samples: int = 7) -> None:
        self._lock = threading.Lock()
        self._offsets: deque[float] = deque(maxlen=samples)

    def observe(self, date_header: str | None, sent: float, received: float) -> None:
        if not date_header:
            return
        try:
            parsed = email.utils.parsedate_to_datetime(date_header)
        except (TypeError, ValueError, IndexError):
            return
        if parsed is None:
            return
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        offset = parsed.timestamp() + 0.5 - (sent + received) / 2
        with self._lock:
            self._offsets.append(offset)

    @property
    def offset(self) -> float:
        """Seconds to add to the local clock to get the server's (0 until an answer was seen)."""
        with self._lock:
            return statistics.median(self._offsets) if self._offsets else 0.0

    def now(self) -> datetime:
        return datetime.now(timezone.utc) + timedelta(seconds=self.offset)


class WatchStream:
    """An open watch: iterate `lines()`; `close()` from any thread wakes a reader blocked on the socket."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self._lock = threading.Lock()
        self.closed_here = False

    def lines(self) -> Iterator[bytes]:
        buffer = b""
        for chunk in self._response.stream(65536, decode_content=True):
            buffer += chunk
            while True:
                newline = buffer.find(b"\n")
                if newline < 0:
                    break
                line, buffer = buffer[:newline], buffer[newline + 1 :]
                if line.strip():
                    yield line
        if buffer.strip():
            yield buffer

    def close(self) -> None:
        with self._lock:
            if self.closed_here:
                return
            self.closed_here = True
        _wake_reader(self._response)
        try:
            self._response.release_conn()
            self._response.close()
        except Exception:  # noqa: BLE001, S110 - closing a dead connection may fail; it is gone either way
            pass


def _socket_of(response: Any) -> Any:
    """The socket under a streaming urllib3 response (its connection's, or the body reader's)."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        return sock
    reader = getattr(getattr(response, "_fp", None), "fp", None)
    return getattr(getattr(reader, "raw", None), "_sock", None)


def _wake_reader(response: Any) -> None:
    """Shut the response's socket down, so a thread blocked in recv on it returns at once. urllib3
    2.3 and later do it with HTTPResponse.shutdown(); older ones (which the kubernetes client allows)
    lack it, and closing alone leaves the reader blocked until its read timeout."""
    shutdown = getattr(response, "shutdown", None)
    if shutdown is not None:
        try:
            shutdown()
            return
        except Exception:  # noqa: BLE001, S110 - no socket known to urllib3 any more: try the socket itself
            pass
    sock = _socket_of(response)
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed or not connected: nothing left to wake
        pass


class ApiTransport:
    """Requests to one API server with the credentials and TLS settings of one kubeconfig context.

    Thread-safe: reflector threads, the health probe and action workers share it.
    """

    def __init__(self, configuration: Any, clock: ServerClock | None = None) -> None:
        from kubernetes.client import ApiClient

        self.configuration = configuration
        self.server = configuration.host.rstrip("/")
        self.clock = clock or ServerClock()
        self._client = ApiClient(configuration)
        self._pool = self._client.rest_client.pool_manager
        context = getattr(configuration, "livemig_ssl_context", None)
        if context is not None:
            # Every connection uses the one context built from the kubeconfig's data in memory
            # (tui/cluster/tls.py), never a file that may be gone by the next reconnect.
            settings = self._pool.connection_pool_kw
            for key in ("ca_certs", "ca_cert_dir", "ca_cert_data", "cert_file", "key_file"):
                settings.pop(key, None)
            settings["ssl_context"] = context
        self._auth_lock = threading.Lock()
        self._closed = False

    # -- headers -------------------------------------------------------------------------------

    def _authorization(self) -> str | None:
        # The client's refresh hook may re-run an exec plugin when a token expires: one thread at a time.
        with self._auth_lock:
            try:
                if "BearerToken" in self.configuration.api_key or self.configuration.refresh_api_key_hook:
                    return authorization_value(self.configuration.get_api_key_with_prefix("BearerToken"))
            except Exception:  # noqa: BLE001 - a failing refresh keeps the old token; the server will say 401 if it is stale
                return authorization_value(self.configuration.api_key.get("BearerToken"))
        return None

    def _headers(self, accept: str, content_type: str | None) -> dict[str, str]:
        headers = {"Accept": accept, "User-Agent": USER_AGENT}
        if content_type:
            headers["Content-Type"] = content_type
        token = self._authorization()
        if token:
            headers["Authorization"] = token
        elif self.configuration.username and self.configuration.password:
            headers["Authorization"] = self.configuration.get_basic_auth_token()
        return headers

    def url(self, path: str, query: Sequence[tuple[str, str]] | Mapping[str, str] | None = None) -> str:
        url: str = self.server + path
        if query:
            url += "?" + urlencode(list(query.items()) if isinstance(query, Mapping) else list(query))
        return url

    # -- requests ------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        query: Any,
        body: Any,
        content_type: str | None,
        accept: str,
        timeout: tuple[float, float],
    ) -> Any:
        if self._closed:
            raise TransportError("other", "the connection to the API server was closed")
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else orjson.dumps(body)
            content_type = content_type or "application/json"
        sent = time.time()
        try:
            response = self._pool.request(
                method,
                self.url(path, query),
                body=data,
                headers=self._headers(accept, content_type if data is not None else None),
                timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
                preload_content=False,
                retries=False,
                redirect=False,
            )
        except Exception as error:  # noqa: BLE001 - whatever urllib3, ssl or socket raise is worded for the operator
            raise describe_transport_error(error, self.server) from None
        self.clock.observe(response.headers.get("Date"), sent, time.time())
        return response

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] | Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
        accept: str = "application/json",
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> Response:
        """One request; the whole body read. Raises ApiError (non-2xx) or TransportError (no answer)."""
        response = self._send(method, path, query, body, content_type, accept, timeout)
        try:
            payload = response.read()
        except Exception as error:  # noqa: BLE001 - whatever urllib3, ssl or socket raise is worded for the operator
            raise describe_transport_error(error, self.server) from None
        finally:
            response.release_conn()
        headers = {name.lower(): value for name, value in response.headers.items()}
        if not 200 <= response.status < 300:
            raise ApiError.from_body(response.status, payload, headers.get("retry-after"))
        return Response(response.status, headers, payload)

    def watch(
        self,
        path: str,
        query: Sequence[tuple[str, str]],
        timeout: tuple[float, float],
        idle_timeout: float | None = None,
    ) -> WatchStream:
        """Open a watch (the query must hold watch=true). `timeout` is (connect, answer): a server must
        answer a watch at once; then `idle_timeout` is the longest silence allowed between events."""
        response = self._send("GET", path, query, None, None, "application/json", timeout)
        if idle_timeout is not None:
            # Until the answer came, a stop cannot reach the socket: keep that wait short, and give the
            # stream itself the long idle timeout (bookmarks come about once a minute).
            sock = getattr(getattr(response, "connection", None), "sock", None)
            if sock is not None:
                sock.settimeout(idle_timeout)
        if not 200 <= response.status < 300:
            try:
                payload = response.read()
            except Exception:  # noqa: BLE001 - the error body is a courtesy: the status code alone is enough
                payload = b""
            finally:
                response.release_conn()
            raise ApiError.from_body(response.status, payload, response.headers.get("Retry-After"))
        return WatchStream(response)

    def close(self) -> None:
        self._closed = True
        try:
            self._pool.clear()
        except Exception:  # noqa: BLE001, S110 - closing idle connections during shutdown: nothing left to do on failure
            pass
