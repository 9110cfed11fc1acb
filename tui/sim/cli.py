"""The `livemig-sim` command: serve a simulated cluster, and inflict faults on a running one."""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import ssl
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, NoReturn, Sequence

import yaml

from tui.sim.apiserver import FAULTS_PREFIX
from tui.sim.faults import FaultError
from tui.sim.runtime import SimCluster
from tui.sim.scenario import ScenarioError, builtin_scenarios

EXIT_USAGE = 2
EXIT_FAILED = 1


def default_kubeconfig_path() -> Path:
    """Where `serve` writes its kubeconfig and `fault` reads it unless told otherwise."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "livemig-sim" / "kubeconfig"


def fault_kubeconfig_path(explicit: Path | None, environ: dict[str, str] | None = None) -> Path:
    """The kubeconfig `fault` reads, chosen as livemig chooses: --kubeconfig, else the first existing
    file named in $KUBECONFIG (colon-separated), else where `serve` writes it by default."""
    if explicit is not None:
        return explicit
    environ = os.environ if environ is None else environ
    listed = [Path(part) for part in environ.get("KUBECONFIG", "").split(os.pathsep) if part]
    return next((path for path in listed if path.is_file()), default_kubeconfig_path())


EXIT_CODES = """exit codes:
  0  done (serve: stopped by Ctrl-C or SIGTERM; fault: done, result as JSON)
  1  the cluster refused the fault for another reason, or could not be reached
  2  a usage problem: a bad argument, an unknown fault or a bad fault parameter,
     a bad scenario, a port that cannot be listened on, a kubeconfig that
     cannot be read or written"""

FAULTS = (
    """faults and their parameters (KEY=VALUE):
  restart [seconds=S]        drop every connection; with S, be down for S s
  reset [seconds=S] [scenario=NAME|FILE]
                             come back with other state, as after an etcd
                             restore: every connection dropped, the objects
                             served at start (or the scenario's), the
                             resourceVersion back where it was then; same
                             tokens, certificate and address; with S, be
                             down for S s
  compact                    compact the store: older watches get 410 Gone
  stall seconds=S            requests get no answer for S s (wall clock)
  fail [count=N] [code=C] [retryAfter=S]
                             the next N requests (default 1) fail with code C
                             (500, the default, or 429 with Retry-After S)
  cut-network nodes=A,B seconds=S
                             no migration traffic between nodes A and B
  node-not-ready node=N [seconds=S]
                             node N goes NotReady (for S s, else until
                             node-ready)
  node-ready node=N          node N is Ready again
  churn [rate=R] [seconds=S] [seed=N]
                             R VMI status changes per second (default 500)
                             for S s (default 20), a load to watch
  hold-lists resources=A,B   lists of resources A and B (plural names, e.g.
                             virtualmachineinstances) wait until released
  release-lists [resources=A]
                             lists held back are answered (all, or A's)

The default scenario's nodes are harvester-node-0 to harvester-node-6:
  livemig-sim fault cut-network nodes=harvester-node-0,harvester-node-1 \\
      seconds=20

The kubeconfig is --kubeconfig, else the first file named in $KUBECONFIG,
else where serve writes it:
  %s

"""
    + EXIT_CODES
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line instead of usage plus error."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = _Parser(
        prog="livemig-sim",
        description="A simulated Harvester cluster for livemig, kubectl and tests.",
        epilog=EXIT_CODES,
        formatter_class=formatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    serve = commands.add_parser(
        "serve", help="serve a simulated cluster until Ctrl-C or SIGTERM", epilog=EXIT_CODES, formatter_class=formatter
    )
    serve.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    serve.add_argument(
        "--scenario", default="default", help="a built-in scenario name or a scenario YAML file (default: default)"
    )
    serve.add_argument("--vms", type=int, default=None, help="how many VMs a generated scenario (large) creates")
    serve.add_argument(
        "--kubeconfig-out",
        type=Path,
        default=None,
        help=f"where to write the kubeconfig (default: {default_kubeconfig_path()})",
    )

    fault = commands.add_parser(
        "fault",
        help="inflict a fault on a running simulated cluster",
        epilog=FAULTS % default_kubeconfig_path(),
        formatter_class=formatter,
    )
    fault.add_argument("name", metavar="FAULT", help="one of the faults below")
    fault.add_argument("params", nargs="*", metavar="KEY=VALUE", help="its parameters, e.g. seconds=10")
    fault.add_argument(
        "--kubeconfig", type=Path, default=None, help="the kubeconfig `serve` wrote (default: see below)"
    )
    fault.add_argument("--context", default="sim-admin", help="the context to use (an admin's; default: sim-admin)")

    commands.add_parser("scenarios", help="list the built-in scenarios")
    return parser


def printable(text: str) -> str:
    """`text` with control characters escaped, so names from a scenario cannot drive the terminal."""
    return "".join(char if char.isprintable() else char.encode("unicode_escape").decode("ascii") for char in text)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"livemig-sim: error: {printable(message)}", file=sys.stderr)
    return code


def serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        return _fail(f"--port must be between 0 and 65535, not {args.port}")
    if args.vms is not None and args.vms < 0:
        return _fail(f"--vms must not be negative, not {args.vms}")
    kubeconfig_path = args.kubeconfig_out or default_kubeconfig_path()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        cluster = SimCluster.start(args.scenario, port=args.port or None, vms=args.vms)
    except ScenarioError as error:
        return _fail(f"bad scenario: {error}")
    except TimeoutError:  # before OSError, of which it is a kind
        return _fail("the simulated cluster did not finish starting in time; a smaller --vms starts sooner")
    except OSError as error:
        return _fail(f"cannot listen on 127.0.0.1:{args.port}: {error.strerror or error}")
    try:
        try:
            written = cluster.write_kubeconfig(kubeconfig_path)
        except OSError as error:
            return _fail(f"cannot write the kubeconfig to {kubeconfig_path}: {error.strerror or error}")
        contexts = ", ".join(f"sim-{name}" for name in cluster.tokens)
        print(f"livemig-sim: serving scenario {printable(cluster.scenario.name)} at {cluster.url}", flush=True)
        print(f"livemig-sim: kubeconfig {printable(str(written))} (contexts {printable(contexts)})", flush=True)
        print("livemig-sim: press Ctrl-C to stop", flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        cluster.stop()
    print("livemig-sim: stopped", flush=True)
    return 0


def _param_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def fault(args: argparse.Namespace) -> int:
    params: dict[str, Any] = {}
    for item in args.params:
        key, separator, value = item.partition("=")
        if not separator or not key:
            return _fail(f'fault parameter "{item}" is not KEY=VALUE')
        params[key] = _param_value(value)
    path = fault_kubeconfig_path(args.kubeconfig)
    try:
        kubeconfig = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        context = next(c["context"] for c in kubeconfig["contexts"] if c["name"] == args.context)
        cluster = next(c["cluster"] for c in kubeconfig["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in kubeconfig["users"] if u["name"] == context["user"])
        server, token = cluster["server"], user["token"]
        authority = base64.b64decode(cluster["certificate-authority-data"]).decode()
    except OSError as error:
        return _fail(f"cannot read the kubeconfig {path}: {error.strerror or error} (is `livemig-sim serve` running?)")
    except (yaml.YAMLError, KeyError, TypeError, StopIteration, ValueError):
        return _fail(f'the kubeconfig {path} has no usable context "{args.context}" written by `livemig-sim serve`')
    request = urllib.request.Request(
        f"{server}{FAULTS_PREFIX}/{args.name}",
        data=json.dumps(params).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(
            request, timeout=30, context=ssl.create_default_context(cadata=authority)
        ) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        try:
            message = json.loads(error.read()).get("message", error.reason)
        except ValueError:
            message = error.reason
        # 400 and 404: the fault or its parameters are wrong, as a bad argument is.
        return _fail(f"fault {args.name} refused: {message}", EXIT_USAGE if error.code in (400, 404) else EXIT_FAILED)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        return _fail(f"cannot reach the simulated cluster at {server}: {reason}", EXIT_FAILED)
    print(json.dumps(answer.get("result", answer)))
    return 0


def scenarios(args: argparse.Namespace) -> int:
    for name, description in builtin_scenarios().items():
        print(f"{name}\t{description}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"serve": serve, "fault": fault, "scenarios": scenarios}[args.command](args)
    except FaultError as error:
        return _fail(str(error), EXIT_USAGE)
    except KeyboardInterrupt:
        return 0
