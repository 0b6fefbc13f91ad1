"""The passerelle daemon under test: config rendering, start/stop, HTTP probes.

Config keys follow config/passerelle.example.toml exactly; nothing here invents keys.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Mapping

from . import procs
from .ports import free_port

REPO = Path(__file__).resolve().parents[3]
DEFAULT_BIN = REPO / "build" / "default" / "bridge" / "app" / "passerelle"
EXAMPLE_CONFIG = REPO / "config" / "passerelle.example.toml"


# ---------------------------------------------------------------------------------
# TOML rendering

class InlineTable(dict):
    """A dict rendered as an inline table: `key = { "+" = 5 }`."""


# Keys whose dict values are rendered inline wherever they appear (as in the example).
INLINE_KEYS = frozenset({"tariff"})

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    if not isinstance(k, str):
        raise TypeError(f"TOML keys are strings, not {k!r}")
    return k if _BARE_KEY.match(k) else _string(k)


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (Path, os.PathLike)):
        return _string(os.fspath(v))
    if isinstance(v, Mapping):
        items = [f"{_key(k)} = {_value(x)}" for k, x in v.items() if x is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"cannot render {type(v).__name__} {v!r} as TOML")


def _is_table(k: str, v: Any) -> bool:
    return isinstance(v, Mapping) and not isinstance(v, InlineTable) and k not in INLINE_KEYS


def _is_table_array(v: Any) -> bool:
    return (isinstance(v, (list, tuple)) and len(v) > 0
            and all(isinstance(x, Mapping) and not isinstance(x, InlineTable) for x in v))


def _render_table(path: list[str], table: Mapping[str, Any], out: list[str]) -> None:
    scalars = [(k, v) for k, v in table.items()
               if v is not None and not _is_table(k, v) and not _is_table_array(v)]
    for k, v in scalars:
        out.append(f"{_key(k)} = {_value(v)}")
    for k, v in table.items():
        if _is_table(k, v):
            sub = path + [_key(k)]
            out.append("")
            out.append(f"[{'.'.join(sub)}]")
            _render_table(sub, v, out)
        elif _is_table_array(v):
            sub = path + [_key(k)]
            for item in v:
                out.append("")
                out.append(f"[[{'.'.join(sub)}]]")
                _render_table(sub, item, out)


def render_toml(doc: Mapping[str, Any]) -> str:
    """Renders a dict as TOML. Nested dicts become [tables]; lists of dicts become
    [[arrays.of.tables]] (e.g. {"sms": {"smsc": [{...}, {...}]}} -> [[sms.smsc]]);
    InlineTable values and dicts under INLINE_KEYS ("tariff") become inline tables;
    None values are left out (TOML has no null). Strings are basic strings."""
    out: list[str] = []
    _render_table([], doc, out)
    return "\n".join(out).lstrip("\n") + "\n"


def smsc_table(name: str, port: int, *, host: str = "127.0.0.1", system_id: str = "passerelle",
               password: str = "secret", tariff: Mapping[str, int] | None = None,
               **keys: Any) -> dict:
    """One [[sms.smsc]] entry with the example's keys; `keys` sets any other key of
    that table (bind, prefixes, window, throughput, enquire_link_s, response_timeout_s,
    reconnect_initial_ms, reconnect_max_ms, delivery_receipts, system_type,
    password_file)."""
    t = {"name": name, "host": host, "port": port, "system_id": system_id,
         "password": password}
    t.update(keys)
    t["tariff"] = InlineTable(tariff if tariff is not None else {"+": 5})
    return t


def deep_merge(base: dict, override: Mapping[str, Any]) -> dict:
    """A copy of base with override merged in (dicts recursively; lists replaced)."""
    result = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(result.get(k), dict) and not isinstance(v, InlineTable):
            result[k] = deep_merge(result[k], v)
        else:
            result[k] = copy.deepcopy(v)
    return result


def default_config(workdir: Path, http_port: int) -> dict:
    """A small config for tests: state under <workdir>/var, admin HTTP on the given
    loopback port, debug logs, XMPP and SMS off (tests turn on what they use)."""
    return {
        "bridge": {"domain": "example.org", "default_country": "FR",
                   "data_dir": str(workdir / "var")},
        "log": {"level": "debug", "format": "text"},
        "http": {"listen": f"127.0.0.1:{http_port}"},
        "store": {"path": "passerelle.db"},
        "access": {"allow_jids": [], "allow_domains": ["example.org"]},
        "xmpp": {"enabled": False},
        "sms": {"enabled": False},
    }


# ---------------------------------------------------------------------------------
# Prometheus text format

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?\s*$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)')


def _unescape_label(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "\\": "\\", '"': '"'}.get(m.group(1), "\\" + m.group(1)), s)


def _parse_float(s: str) -> float:
    return float(s)  # also takes "+Inf", "-Inf" and "NaN"


def parse_prometheus(text: str) -> dict[tuple[str, frozenset], float]:
    """Prometheus text exposition -> {(name, frozenset({(label, value), ...})): value}.
    Comments (# HELP, # TYPE) are skipped; a malformed line raises ValueError."""
    result: dict[tuple[str, frozenset], float] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"metrics line {lineno}: cannot parse {line!r}")
        name, _, labels_text, value = m.group(1), m.group(2), m.group(3), m.group(4)
        labels = {}
        if labels_text:
            pos = 0
            labels_text = labels_text.strip()
            while pos < len(labels_text):
                lm = _LABEL.match(labels_text, pos)
                if not lm:
                    raise ValueError(f"metrics line {lineno}: bad labels {labels_text!r}")
                labels[lm.group(1)] = _unescape_label(lm.group(2))
                pos = lm.end()
        result[(name, frozenset(labels.items()))] = _parse_float(value)
    return result


def metric_value(metrics: Mapping[tuple[str, frozenset], float], name: str,
                 **labels: str) -> float | None:
    """The sum of the samples named `name` whose labels include `labels` (None when
    there is none): metric_value(m, "passerelle_sms_submitted_total", smsc="primary")."""
    want = set(labels.items())
    found = [v for (n, ls), v in metrics.items() if n == name and want <= ls]
    return sum(found) if found else None


# ---------------------------------------------------------------------------------
# The daemon

class HttpResponse:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<HttpResponse {self.status} {self.body[:200]!r}>"


class BridgeError(RuntimeError):
    pass


class Bridge:
    """One passerelle daemon.

        bridge = Bridge(self.tmp, {"sms": {"enabled": True,
                                           "smsc": [smsc_table("primary", smsc.port)]}})
        bridge.start()                 # writes the config, runs, waits for /healthz
        bridge.get_json("/readyz")
        bridge.metrics()               # {(name, frozenset(labels)): value}
        bridge.sigterm()               # exit code
        bridge.restart()               # same config file and data_dir

    `config` is merged over default_config() (see deep_merge); `http_port` defaults to a
    free port; the binary comes from `binary`, $PASSERELLE_BIN, or
    build/default/bridge/app/passerelle. The process runs in `workdir`, its output in
    <workdir>/passerelle.stdout.log / .stderr.log (appended across restarts).
    """

    def __init__(self, workdir: str | os.PathLike, config: Mapping[str, Any] | None = None, *,
                 binary: str | os.PathLike | None = None, http_port: int | None = None,
                 env: Mapping[str, str] | None = None, name: str = "passerelle"):
        self.workdir = Path(workdir)
        self.http_port = http_port or free_port()
        self.config = deep_merge(default_config(self.workdir, self.http_port), config or {})
        listen = self.config.get("http", {}).get("listen", "")
        host, _, port = listen.rpartition(":")
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            raise ValueError(f"tests bind loopback only, not http.listen = {listen!r}")
        self.http_port = int(port)
        self.binary = Path(binary or os.environ.get("PASSERELLE_BIN") or DEFAULT_BIN)
        self.env = dict(env or {})
        self.name = name
        self.config_path = self.workdir / f"{name}.toml"
        self.proc: procs.Proc | None = None
        self.starts = 0

    @staticmethod
    def binary_available() -> bool:
        return Path(os.environ.get("PASSERELLE_BIN") or DEFAULT_BIN).exists()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def data_dir(self) -> Path:
        d = Path(self.config["bridge"]["data_dir"])
        return d if d.is_absolute() else self.workdir / d

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render_toml(self.config))
        return self.config_path

    def start(self, timeout: float = 30.0, wait_ready: bool = False) -> "Bridge":
        """Writes the config (first start only; restart() keeps the file as it is), runs
        `passerelle run --config FILE`, and waits for GET /healthz to answer 200
        (and /readyz too with wait_ready=True)."""
        if self.proc is not None and self.proc.running():
            raise BridgeError("already running")
        if not self.binary.exists():
            raise BridgeError(f"passerelle binary not found at {self.binary} (build it, or set PASSERELLE_BIN)")
        if self.starts == 0 or not self.config_path.exists():
            self.write_config()
        self.proc = procs.start([self.binary, "run", "--config", self.config_path],
                                log_dir=self.workdir, name=self.name, env=self.env,
                                cwd=self.workdir, append=self.starts > 0)
        self.starts += 1
        self.wait_healthy(timeout)
        if wait_ready:
            self.wait_ready(timeout)
        return self

    def _probe(self, path: str) -> int | None:
        try:
            return self.request("GET", path, timeout=1.0).status
        except OSError:
            return None

    def wait_healthy(self, timeout: float = 30.0) -> None:
        self._wait_status("/healthz", timeout)

    def wait_ready(self, timeout: float = 30.0) -> None:
        self._wait_status("/readyz", timeout)

    def _wait_status(self, path: str, timeout: float) -> None:
        def ok():
            if self.proc is not None and not self.proc.running():
                raise BridgeError(f"passerelle exited with {self.proc.returncode} while waiting "
                                  f"for {path}\n{self.proc.tail()}")
            return self._probe(path) == 200
        try:
            procs.wait_until(ok, timeout, 0.05, f"{path} on {self.base_url}")
        except TimeoutError as e:
            raise BridgeError(f"{e}\n{self.proc.tail() if self.proc else ''}") from None

    # -- HTTP ----------------------------------------------------------------------

    def request(self, method: str, path: str, body: bytes | str | Any = None,
                headers: Mapping[str, str] | None = None, timeout: float = 10.0) -> HttpResponse:
        """Any status is returned (not raised); connection errors raise OSError.
        A body that is not bytes/str is sent as JSON."""
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return HttpResponse(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return HttpResponse(e.code, dict(e.headers or {}), e.read())

    def get(self, path: str, timeout: float = 10.0) -> HttpResponse:
        return self.request("GET", path, timeout=timeout)

    def get_json(self, path: str, timeout: float = 10.0) -> Any:
        """The JSON body of GET path, whatever the status (/readyz answers 503 with a
        body while not ready); use get(path).status for the status."""
        r = self.get(path, timeout)
        try:
            return r.json()
        except ValueError as e:
            raise BridgeError(f"GET {path}: status {r.status}, not JSON: {r.body[:500]!r}") from e

    def metrics(self, timeout: float = 10.0) -> dict[tuple[str, frozenset], float]:
        """GET /metrics parsed: {(name, frozenset(labels.items())): value}."""
        r = self.get("/metrics", timeout)
        if r.status != 200:
            raise BridgeError(f"GET /metrics: status {r.status}: {r.body[:500]!r}")
        return parse_prometheus(r.body.decode())

    def metric(self, name: str, **labels: str) -> float | None:
        """One metric from a fresh scrape, summed over samples matching `labels`."""
        return metric_value(self.metrics(), name, **labels)

    # -- process control -------------------------------------------------------------

    def running(self) -> bool:
        return self.proc is not None and self.proc.running()

    def sigterm(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait (SIGKILL after `timeout` s); returns the exit code."""
        if self.proc is None:
            return None
        return procs.stop(self.proc, timeout)

    stop = sigterm

    def kill9(self) -> int | None:
        """SIGKILL (a crash); returns the exit code (-9)."""
        if self.proc is None:
            return None
        return procs.kill9(self.proc)

    def restart(self, timeout: float = 30.0, kill: bool = False, wait_ready: bool = False) -> "Bridge":
        """Stops (SIGTERM, or SIGKILL with kill=True) if running, then starts again with
        the same config file and data_dir."""
        if self.running():
            self.kill9() if kill else self.sigterm()
        return self.start(timeout, wait_ready)

    def tail(self, lines: int = 60) -> str:
        return self.proc.tail(lines) if self.proc else ""

    def __enter__(self) -> "Bridge":
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.running():
            self.sigterm()
