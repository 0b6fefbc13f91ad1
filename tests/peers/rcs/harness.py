"""Starting the MaaP platform test server from a test, its control channel, a webhook
receiver standing in for the chatbot, and a small blocking API client.

    sink = WebhookSink().start()                      # the chatbot's webhook, on 127.0.0.1
    srv = MaapServerProc(tmpdir, platforms=[platform("carrier-a", "bot-a", "tok-a", ["+3361"],
                                                     webhook=sink.url, webhook_token="Bearer hook-a")],
                         phones=[{"number": "+33611111111"}]).start()
    api = srv.client("carrier-a", "bot-a", "tok-a")
    st, body, _ = api.send_text("+33611111111", "hello")        # 202, {"RCSMessage": {"msgId": ...}}
    sink.wait_for(lambda e: e["event"] == "messageStatus" and e["RCSMessage"]["status"] == "delivered")
    srv.control("phone_send_text", number="+33611111111", text="hi")
    srv.stop(); sink.stop()

The server runs as `python3 -m tests.peers.rcs.server` from the repository root, on
127.0.0.1, with every port chosen by the OS and reported in its --ready-file; it is
stopped by PID (SIGTERM, bounded wait, SIGKILL).
"""

from __future__ import annotations

import hashlib
import http.client
import http.server
import json
import os
import ssl
import threading
import time
import urllib.parse
from pathlib import Path

from tests.peers.common.channel import HOST, Control, ControlError  # noqa: F401  (re-exported)
from tests.peers.common.harness import REPO, ServerProc  # noqa: F401
from tests.peers.rcs import multipart

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def platform(name: str, bot: str | list, token: str, ranges: list[str], **kw) -> dict:
    """A platform entry for the configuration (see README.md for every key)."""
    bots = bot if isinstance(bot, list) else [bot]
    return {"name": name, "bots": [b if isinstance(b, dict) else {"id": b} for b in bots], "token": token,
            "ranges": ranges, **kw}


def load_fixture(rel: str):
    return json.loads((FIXTURES / rel).read_text())


class MaapServerProc(ServerProc):
    label = "MaaP server"
    control_timeout = 60.0

    def __init__(self, workdir, *, platforms: list[dict], phones: list[dict] = (), extra_args=(),
                 name: str = "maap-server", python: str | None = None, data_dir: str | None = None):
        super().__init__(workdir, name=name, python=python)
        self.platforms = list(platforms)
        self.phones = list(phones)
        self.extra_args = list(extra_args)
        self.data_dir = Path(data_dir) if data_dir else self.workdir / f"{name}.data"
        self.config_file = self.workdir / f"{name}.config.json"

    def command(self) -> list[str]:
        self.config_file.write_text(json.dumps({"platforms": self.platforms, "phones": self.phones}, indent=1))
        return [self.python, "-m", "tests.peers.rcs.server", "--host", HOST, "--control-port", "0",
                "--config", str(self.config_file), "--data-dir", str(self.data_dir),
                "--ready-file", str(self.ready_file), *self.extra_args]

    def api_url(self, platform_name: str) -> str:
        return self.info["platforms"][platform_name]["api_url"]

    def base_url(self, platform_name: str) -> str:
        return self.info["platforms"][platform_name]["base_url"]

    def last_seq(self) -> int:
        return self.control("events", since=1 << 62)["last"]

    def no_event_message(self, kind: str, since: int) -> str:
        return f"no {kind} event; last: {self.events(kind, since)[-3:]}"

    def wait_idle(self, timeout: float = 10.0) -> None:
        self.control("wait_idle", timeout=timeout)

    def client(self, platform_name: str, bot: str, token: str | None) -> "ApiClient":
        return ApiClient(self.api_url(platform_name), bot, token)

    def rss(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) of the server process, in bytes."""
        return read_rss(self.pid)


def read_rss(pid: int) -> tuple[int, int]:
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) * 1024
    return rss, hwm


# ---------------------------------------------------------------------------------
# The chatbot's side of the API, blocking (http.client), for tests.

class ApiClient:
    def __init__(self, api_url: str, bot: str, token: str | None, timeout: float = 30.0,
                 ssl_context: ssl.SSLContext | None = None):
        u = urllib.parse.urlsplit(api_url)
        self.scheme, self.host, self.port = u.scheme, u.hostname, u.port
        self.prefix = u.path.rstrip("/")          # {root}/bot/v1
        self.bot = bot
        self.token = token
        self.timeout = timeout
        self.ssl_context = ssl_context

    def conn(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.ssl_context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def path(self, rest: str) -> str:
        return f"{self.prefix}/{self.bot}{rest}"

    def headers(self, extra: dict | None = None) -> dict:
        h = {}
        if self.token is not None:
            h["Authorization"] = f"Bearer {self.token}"
        h.update(extra or {})
        return h

    def request(self, method: str, rest: str, body=None, headers: dict | None = None, raw_path: bool = False):
        """-> (status, parsed JSON body or raw bytes, headers dict)."""
        c = self.conn()
        try:
            h = self.headers(headers)
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                h.setdefault("Content-Type", "application/json")
            c.request(method, rest if raw_path else self.path(rest), body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            parsed = data
            if data and "json" in hdrs.get("content-type", ""):
                parsed = json.loads(data)
            return r.status, parsed, hdrs
        finally:
            c.close()

    def send(self, body: dict):
        return self.request("POST", "/messages", body)

    def send_text(self, number: str, text: str, suggestions: list | None = None, **rcs):
        m = {"RCSMessage": {"textMessage": text, **rcs}, "messageContact": {"userContact": number}}
        if suggestions:
            m["RCSMessage"]["suggestedChipList"] = {"suggestions": suggestions}
        return self.send(m)

    def status(self, msg_id: str):
        return self.request("GET", f"/messages/{msg_id}/status")

    def set_status(self, msg_id: str, status: str):
        return self.request("PUT", f"/messages/{msg_id}/status", {"RCSMessage": {"status": status}})

    def capabilities(self, number: str):
        return self.request("GET", "/contactCapabilities?" + urllib.parse.urlencode({"userContact": number}))

    def upload(self, chunks, size: int, *, name: str = "file.bin", file_type: str = "application/octet-stream",
               until: str | None = None, chunked: bool = False, extra_fields=()):
        """Streams a multipart upload whose file part is `size` bytes from the iterable
        `chunks` (never joined). With chunked=True no Content-Length is sent."""
        boundary = "----passerelle" + os.urandom(8).hex()
        fields = [("fileType", file_type), *extra_fields]
        if until:
            fields.append(("until", until))
        head = multipart.encode_fields(boundary, fields) + multipart.file_part_head(
            boundary, "fileContent", name, file_type)
        tail = multipart.closing(boundary)
        h = self.headers({"Content-Type": f"multipart/form-data; boundary={boundary}"})
        c = self.conn()
        try:
            c.putrequest("POST", self.path("/files"))
            for k, v in h.items():
                c.putheader(k, v)
            if chunked:
                c.putheader("Transfer-Encoding", "chunked")
            else:
                c.putheader("Content-Length", str(len(head) + size + len(tail)))
            c.endheaders()

            def send(piece: bytes):
                if chunked:
                    c.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                else:
                    c.send(piece)
            try:
                send(head)
                for piece in chunks:
                    send(piece)
                send(tail)
                if chunked:
                    c.send(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass   # the server refused early; its answer is still to be read
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
            return r.status, (json.loads(data) if data and "json" in hdrs.get("content-type", "") else data), hdrs
        finally:
            c.close()

    def download(self, url: str, with_token: bool = False, headers: dict | None = None):
        """Streams a file URL; -> (status, size, sha256 hex, headers). Never holds the body."""
        u = urllib.parse.urlsplit(url)
        c = self.conn()
        try:
            h = dict(headers or {})
            if with_token and self.token:
                h["Authorization"] = f"Bearer {self.token}"
            c.request("GET", u.path + (f"?{u.query}" if u.query else ""), headers=h)
            r = c.getresponse()
            sha, size = hashlib.sha256(), 0
            while True:
                piece = r.read(1 << 20)
                if not piece:
                    break
                sha.update(piece)
                size += len(piece)
            return r.status, size, sha.hexdigest(), {k.lower(): v for k, v in r.getheaders()}
        finally:
            c.close()


# ---------------------------------------------------------------------------------
# The chatbot's webhook, for tests: records every request and answers with a scripted
# status (default 200).

class WebhookSink:
    def __init__(self, host: str = HOST, expect_auth: str | None = None):
        self.host = host
        self.expect_auth = expect_auth
        self.requests: list[dict] = []
        self.script: list[int] = []        # statuses to answer next, in order; then `default`
        self.rules: list[list] = []        # [predicate(event json), [statuses...]]: answers for matching events
        self.default = 200
        self.delay = 0.0
        self.lock = threading.Condition()
        self.server: http.server.ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> "WebhookSink":
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _answer(self, status: int, body: bytes = b"ok"):
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                with sink.lock:
                    sink.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers),
                                          "t": time.monotonic()})
                    sink.lock.notify_all()
                ok = sink.expect_auth is None or self.headers.get("Authorization") == sink.expect_auth
                self._answer(200 if ok else 401, b"ok" if ok else b"unauthorized")

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n)
                try:
                    obj = json.loads(raw)
                except ValueError:
                    obj = None
                with sink.lock:
                    rule = next((r for r in sink.rules if r[1] and obj is not None and r[0](obj)), None)
                    if rule is not None:
                        status = rule[1].pop(0)
                    else:
                        status = sink.script.pop(0) if sink.script else sink.default
                    if sink.expect_auth is not None and self.headers.get("Authorization") != sink.expect_auth:
                        status = 401
                    sink.requests.append({"method": "POST", "path": self.path, "headers": dict(self.headers),
                                          "body": raw, "json": obj, "status": status, "t": time.monotonic()})
                    sink.lock.notify_all()
                if sink.delay:
                    time.sleep(sink.delay)
                self._answer(status)

        self.server = http.server.ThreadingHTTPServer((self.host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="webhook-sink", daemon=True)
        self.thread.start()
        return self

    def answer_matching(self, predicate, statuses: list[int]) -> None:
        """The next len(statuses) events for which predicate(event) is true get these
        answers, in order (other events are not affected)."""
        with self.lock:
            self.rules.append([predicate, list(statuses)])

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/webhook"

    def events(self, accepted_only: bool = False) -> list[dict]:
        with self.lock:
            return [r["json"] for r in self.requests if r["method"] == "POST" and r["json"] is not None
                    and (not accepted_only or 200 <= r["status"] < 300)]

    def wait_for(self, predicate, timeout: float = 5.0, accepted_only: bool = True) -> dict:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                for r in self.requests:
                    if r["method"] == "POST" and r["json"] is not None and predicate(r["json"]) and \
                            (not accepted_only or 200 <= r["status"] < 300):
                        return r["json"]
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [r["json"] for r in self.requests[-5:]]
                    raise TimeoutError(f"no matching webhook event in {timeout:g} s; last: {seen}")
                self.lock.wait(left)

    def statuses(self, msg_id: str) -> list[str]:
        return [e["RCSMessage"]["status"] for e in self.events(accepted_only=True)
                if e.get("event") == "messageStatus" and e["RCSMessage"]["msgId"] == msg_id]

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
