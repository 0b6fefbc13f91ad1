#!/usr/bin/python3
"""End-to-end XMPP -> SMS benchmark: passerelle vs Kannel vs a direct SMPP client, all
against the same SMSC simulator (tests/peers/smsc/smsc.js), all on 127.0.0.1.

    sudo PASSERELLE_BIN=$PWD/build/default/bridge/app/passerelle \
        /usr/bin/python3 bench/e2e/xmpp_to_sms.py            # full run, writes bench/RESULTS.md

See bench/e2e/README.md for what is measured and how. Options: --help.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from lib import procs  # noqa: E402
from lib.bridge import Bridge, deep_merge, smsc_table  # noqa: E402
from lib.ports import free_ports  # noqa: E402
from lib.smsc import Smsc  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402

DOMAIN = "example.org"
SMS = f"sms.{DOMAIN}"
SINK = f"sink.{DOMAIN}"
SECRET = "component-secret"
SENDER = "+33700000001"
SYSTEM_ID, PASSWORD = "passerelle", "secret"
CLK = os.sysconf("SC_CLK_TCK")
MARK = re.compile(rb"L(\d{7})Z")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def phone(i: int) -> str:
    return f"+3361{i % 10_000_000:07d}"


def body(i: int) -> str:
    # Same length for every message; the marker L<seq>Z is found again in the SMPP
    # short_message (GSM 03.38 unpacked: digits and capitals are ASCII).
    return f"L{i:07d}Z t={time.time():.6f} benchmark message"


# ---------------------------------------------------------------------------------
# CPU of processes

def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])          # utime + stime (fields 14, 15)


def cpu_seconds(pids) -> float:
    return sum(cpu_ticks(p) for p in pids) / CLK


def sched_ns(pid: int) -> int:
    """Sum over the live threads of /proc/<pid>/task/*/schedstat (ns on CPU)."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


# ---------------------------------------------------------------------------------
# The simulator's log

def sim_times(log_path: Path) -> list[float]:
    out = []
    with open(log_path) as f:
        for line in f:
            e = json.loads(line)
            if e.get("command_status") == 0:
                out.append(datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp())
    return out


def rate(times: list[float]) -> float:
    if len(times) < 2 or times[-1] <= times[0]:
        return float("nan")
    return (len(times) - 1) / (times[-1] - times[0])


def wait_accepted(smsc: Smsc, n: int, timeout: float) -> None:
    procs.wait_until(lambda: smsc.stats().get("accepted", 0) >= n, timeout=timeout, interval=0.1,
                     message=lambda: f"{n} accepted at the simulator (have {smsc.stats()})")


# ---------------------------------------------------------------------------------
# XMPP senders

class Senders:
    """K slixmpp users; bulk sending writes pre-built stanzas with send_raw on each
    user's own loop, in chunks, so that Python does as little as possible per message."""

    def __init__(self, prosody: Prosody, names: list[str]):
        self.batch = 0                 # stanza ids differ between blasts (the bridge dedupes ids)
        self.users = [XmppUser(f"{n}@{DOMAIN}/bench", f"{n}-pw", prosody.c2s_port).start() for n in names]
        self.names = names

    def stop(self):
        for u in self.users:
            u.stop()

    @staticmethod
    def stanza(to: str, text: str, sid: str) -> str:
        return f"<message to='{to}' type='chat' id='{sid}'><body>{text}</body></message>"

    def blast(self, n: int, domain: str, timeout: float = 120.0) -> tuple[float, float]:
        """Sends n messages to n distinct numbers @domain, spread over the users. Returns
        (wall seconds to hand everything to the sockets, CPU seconds of this process)."""
        self.batch += 1
        per = [[] for _ in self.users]
        for i in range(n):
            k = i % len(self.users)
            per[k].append(self.stanza(f"{phone(i)}@{domain}", body(i), f"b{self.batch}-{i}"))
        t0, c0 = time.monotonic(), time.process_time()
        futs = []
        for u, stanzas in zip(self.users, per):
            async def go(xmpp=u._xmpp, stanzas=stanzas):
                for j in range(0, len(stanzas), 100):
                    xmpp.send_raw("".join(stanzas[j:j + 100]))
                    await asyncio.sleep(0)
            futs.append(asyncio.run_coroutine_threadsafe(go(), u._loop))
        for f in futs:
            f.result(timeout)
        # the loops have written to their transports; wait for the write buffers to drain
        deadline = time.monotonic() + timeout
        for u in self.users:
            tr = getattr(u._xmpp, "transport", None)
            while tr is not None and tr.get_write_buffer_size() > 0 and time.monotonic() < deadline:
                time.sleep(0.002)
        return time.monotonic() - t0, time.process_time() - c0

    def paced(self, n: int, per_second: float, domain: str, timeout: float = 120.0) -> None:
        """n messages from the first user, one every 1/per_second s (loop timer)."""
        u = self.users[0]
        loop, xmpp = u._loop, u._xmpp
        self.batch += 1
        batch = self.batch

        async def go():
            start = loop.time() + 0.05
            for i in range(n):
                delay = start + i / per_second - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                xmpp.send_raw(self.stanza(f"{phone(i)}@{domain}", body(i), f"p{batch}-{i}"))
        asyncio.run_coroutine_threadsafe(go(), loop).result(timeout)


class SinkComponent:
    """A raw XEP-0114 component that counts the <body>s it receives and when: the
    ceiling of sender + Prosody, on the same path the bridge's component uses."""

    def __init__(self, port: int, domain: str, secret: str):
        self.port, self.domain, self.secret = port, domain, secret
        self.count = 0
        self.first = self.last = None
        self.sock = None

    def connect(self, timeout: float = 10.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.sendall(f"<stream:stream xmlns='jabber:component:accept' "
                  f"xmlns:stream='http://etherx.jabber.org/streams' to='{self.domain}'>".encode())
        buf = b""
        while b"id=" not in buf or b">" not in buf.split(b"id=", 1)[1]:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError(f"sink: stream closed: {buf!r}")
            buf += chunk
        sid = re.search(rb"id=['\"]([^'\"]+)['\"]", buf).group(1)
        s.sendall(b"<handshake>" + hashlib.sha1(sid + self.secret.encode()).hexdigest().encode() + b"</handshake>")
        buf = b""
        while b"<handshake" not in buf:
            chunk = s.recv(4096)
            if not chunk or b"error" in chunk:
                raise RuntimeError(f"sink: handshake failed: {buf + chunk!r}")
            buf += chunk
        self.sock = s
        return self

    def count_until(self, n: int, timeout: float) -> None:
        tail = b""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(0.5)
        while self.count < n and time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(262144)
            except socket.timeout:
                continue
            if not chunk:
                break
            now = time.time()
            data = tail + chunk
            c = data.count(b"</body>")
            if c:
                if self.first is None:
                    self.first = now
                self.last = now
                self.count += c
            tail = data[-6:]

    def close(self):
        if self.sock:
            self.sock.close()


# ---------------------------------------------------------------------------------
# A pipelined SMPP client (the simulator's own ceiling)

def _cstr(s: str) -> bytes:
    return s.encode() + b"\0"


def _pdu(cmd: int, seq: int, body: bytes) -> bytes:
    return struct.pack(">IIII", 16 + len(body), cmd, 0, seq) + body


async def direct_run(port: int, n: int, window: int, timeout: float) -> float:
    """bind_transceiver, then submit_sm with at most `window` unanswered; returns the
    CPU seconds this process used."""
    c0 = time.process_time()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(_pdu(0x09, 1, _cstr(SYSTEM_ID) + _cstr(PASSWORD) + _cstr("") + bytes([0x34, 0, 0]) + _cstr("")))
    hdr = await reader.readexactly(16)
    length, cmd, status, _ = struct.unpack(">IIII", hdr)
    await reader.readexactly(length - 16)
    if cmd != 0x80000009 or status != 0:
        raise RuntimeError(f"direct bind failed: cmd {cmd:#x} status {status:#x}")
    free = asyncio.Semaphore(window)
    done = asyncio.Event()
    acked = 0
    bad = 0

    async def read_loop():
        nonlocal acked, bad
        while acked < n:
            length, cmd, status, seq = struct.unpack(">IIII", await reader.readexactly(16))
            if length > 16:
                await reader.readexactly(length - 16)
            if cmd == 0x80000004:
                acked += 1
                bad += status != 0
                free.release()
            elif cmd in (0x15, 0x05):          # enquire_link, deliver_sm
                writer.write(_pdu(cmd | 0x80000000, seq, b"\0" if cmd == 0x05 else b""))
        done.set()

    rt = asyncio.create_task(read_loop())
    prefix = f"[XMPP] u0@{DOMAIN}: "
    for i in range(n):
        await free.acquire()
        sm = (prefix + body(i)).encode()
        b = (_cstr("") + bytes([1, 1]) + _cstr(SENDER.lstrip("+")) + bytes([1, 1]) + _cstr(phone(i).lstrip("+"))
             + bytes([0, 0, 0]) + _cstr("") + _cstr("") + bytes([0, 0, 0, 0, len(sm)]) + sm)
        writer.write(_pdu(0x04, 2 + i, b))
        if free.locked():
            await writer.drain()
    await asyncio.wait_for(done.wait(), timeout)
    await rt
    writer.write(_pdu(0x06, n + 3, b""))
    try:
        await asyncio.wait_for(reader.read(64), 2)
    except asyncio.TimeoutError:
        pass
    writer.close()
    if bad:
        raise RuntimeError(f"direct: {bad} submit_sm answered with an error")
    return time.process_time() - c0


# ---------------------------------------------------------------------------------
# Kannel

def ensure_kannel() -> None:
    if shutil.which("bearerbox") and shutil.which("smsbox"):
        return
    log("installing kannel with apt-get (the system service is never started: see README)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "kannel"], check=True, env=env,
                   stdin=subprocess.DEVNULL, timeout=600)
    # Debian's package may try to start its service; ours never uses it. Stop it if it runs.
    subprocess.run(["invoke-rc.d", "kannel", "stop"], env=env, stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=60)


def ensure_tcpdump() -> bool:
    if shutil.which("tcpdump"):
        return True
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "tcpdump"], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    return r.returncode == 0 and shutil.which("tcpdump") is not None


class Kannel:
    def __init__(self, workdir: Path, smsc_port: int, window: int):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.admin_port, self.box_port, self.http_port = free_ports(3)
        self.conf = self.dir / "kannel.conf"
        d = self.dir
        self.conf.write_text(f"""# throwaway config written by bench/e2e/xmpp_to_sms.py
group = core
admin-port = {self.admin_port}
admin-interface = 127.0.0.1
admin-password = bench
admin-allow-ip = 127.0.0.1
smsbox-port = {self.box_port}
smsbox-interface = 127.0.0.1
box-allow-ip = 127.0.0.1
log-file = "{d}/bearerbox.log"
log-level = 2
store-type = file
store-location = "{d}/kannel.store"
dlr-storage = internal

group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {smsc_port}
transceiver-mode = true
smsc-username = {SYSTEM_ID}
smsc-password = {PASSWORD}
system-type = ""
interface-version = 34
max-pending-submits = {window}
enquire-link-interval = 30
reconnect-delay = 1
msg-id-type = 1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {self.box_port}
sendsms-port = {self.http_port}
sendsms-interface = 127.0.0.1
log-file = "{d}/smsbox.log"
log-level = 2

group = sendsms-user
username = bench
password = bench
max-messages = 1
concatenation = true

group = sms-service
keyword = default
text = "ok"
""")
        self.bearerbox = self.smsbox = None

    def start(self, smsc: Smsc, timeout: float = 30.0) -> "Kannel":
        self.bearerbox = procs.start(["bearerbox", "-v", "3", str(self.conf)], log_dir=self.dir, name="bearerbox",
                                     cwd=self.dir)
        procs.wait_for_port("127.0.0.1", self.box_port, timeout=timeout, proc=self.bearerbox)
        self.smsbox = procs.start(["smsbox", "-v", "3", str(self.conf)], log_dir=self.dir, name="smsbox", cwd=self.dir)
        procs.wait_for_port("127.0.0.1", self.http_port, timeout=timeout, proc=self.smsbox)
        smsc.wait_for_bound(1, timeout=timeout)
        return self

    @property
    def pids(self):
        return [self.bearerbox.pid, self.smsbox.pid]

    def stop(self):
        for p in (self.smsbox, self.bearerbox):
            if p is not None:
                procs.stop(p, timeout=15)

    def send(self, n: int, threads: int = 8, timeout: float = 300.0) -> tuple[float, int]:
        """n sendsms requests over `threads` keep-alive connections; returns (client CPU
        seconds, failures)."""
        prefix = f"[XMPP] u0@{DOMAIN}: "
        failures = [0]
        lock = threading.Lock()
        deadline = time.monotonic() + timeout

        def worker(k):
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
            for i in range(k, n, threads):
                if time.monotonic() > deadline:
                    break
                q = urllib.parse.urlencode({"username": "bench", "password": "bench", "from": SENDER,
                                            "to": phone(i), "text": prefix + body(i)})
                for attempt in range(3):
                    try:
                        conn.request("GET", "/cgi-bin/sendsms?" + q)
                        r = conn.getresponse()
                        r.read()
                        ok = r.status in (200, 202)
                        break
                    except (OSError, http.client.HTTPException):
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
                        ok = False
                if not ok:
                    with lock:
                        failures[0] += 1
            conn.close()

        c0, w0 = time.process_time(), time.monotonic()
        ts = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(max(1.0, deadline - time.monotonic()))
        self.client_wall_s = time.monotonic() - w0
        return time.process_time() - c0, failures[0]


# ---------------------------------------------------------------------------------
# pcap (tcpdump -w) reader: kernel timestamps of the marker in each direction

def read_pcap(path: Path) -> list[tuple[float, int, int, bytes]]:
    """[(ts, sport, dport, payload)] for IPv4/TCP packets with a payload."""
    out = []
    data = path.read_bytes()
    if len(data) < 24:
        return out
    magic = struct.unpack("<I", data[:4])[0]
    endian, nano = {0xA1B2C3D4: ("<", False), 0xA1B23C4D: ("<", True),
                    0xD4C3B2A1: (">", False), 0x4D3CB2A1: (">", True)}[magic]
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        pkt = data[off + 16: off + 16 + incl]
        off += 16 + incl
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:
            ip = pkt[14:]
        elif linktype == 113:
            ip = pkt[16:]
        elif linktype == 276:
            ip = pkt[20:]
        else:
            ip = pkt
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        tcp = ip[ihl:total]
        if len(tcp) < 20:
            continue
        sport, dport = struct.unpack(">HH", tcp[:4])
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            out.append((ts, sport, dport, payload))
    return out


def first_marks(packets, pred) -> dict[int, float]:
    seen: dict[int, float] = {}
    for ts, sport, dport, payload in packets:
        if pred(sport, dport):
            for m in MARK.finditer(payload):
                seen.setdefault(int(m.group(1)), ts)
    return seen


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))]


# ---------------------------------------------------------------------------------
# The benchmark

class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="passerelle-e2e-", dir=os.environ.get("PASSERELLE_TEST_TMP")))
        self.results: dict = {"points": {}, "latency": {}, "sink": {}, "notes": []}
        self.prosody = None
        self.senders = None
        self.seq = 0

    def workdir(self, name: str) -> Path:
        self.seq += 1
        return self.tmp / f"{self.seq:03d}-{name}"

    # -- shared setup --------------------------------------------------------------

    def start_xmpp(self):
        names = [f"u{k}" for k in range(self.args.users)]
        self.prosody = Prosody(self.tmp, domain=DOMAIN, components=[SMS, SINK], secret=SECRET,
                               users={n: f"{n}-pw" for n in names}, log_level="warn")
        self.prosody.start()
        self.senders = Senders(self.prosody, names)

    def bridge(self, wd: Path, smsc: Smsc, window: int, extra: dict | None = None) -> Bridge:
        config = {
            "log": {"level": "warn"},
            "xmpp": {"enabled": True, "component_host": "127.0.0.1",
                     "component_port": self.prosody.component_port, "secret": SECRET,
                     "networks": ["sms"], "reconnect_initial_ms": 200, "reconnect_max_ms": 1000},
            "sms": {"enabled": True, "sender_numbers": [SENDER], "default_monthly_cap": 0,
                    "smsc": [smsc_table("primary", smsc.port, window=window, throughput=100000,
                                        delivery_receipts=False, enquire_link_s=30,
                                        reconnect_initial_ms=200, reconnect_max_ms=1000)]},
        }
        if self.args.bridge_extra:
            config = deep_merge(config, json.loads(self.args.bridge_extra))
        if extra:
            config = deep_merge(config, extra)
        b = Bridge(wd, config, name="passerelle")
        b.start()

        def up():
            doc = b.get_json("/readyz")
            return doc.get("ready") and all(c["state"] == "up" for c in doc["connectors"])
        procs.wait_until(up, timeout=30, message="every bridge link up on /readyz")
        return b

    # -- one measurement per system ----------------------------------------------------

    def run_sink(self, n: int) -> dict:
        sink = SinkComponent(self.prosody.component_port, SINK, SECRET).connect()
        res = {}
        t = threading.Thread(target=sink.count_until, args=(n, 120.0), daemon=True)
        t.start()
        wall, cpu = self.senders.blast(n, SINK)
        t.join(125)
        sink.close()
        res = {"n": n, "received": sink.count, "blast_wall_s": wall, "blast_cpu_s": cpu,
               "blast_rate": n / wall if wall else float("nan"),
               "rate": (sink.count - 1) / (sink.last - sink.first) if sink.count > 1 and sink.last > sink.first
               else float("nan")}
        return res

    def run_strace(self, n: int) -> dict:
        """Diagnostic: strace -c -f on the bridge during a delay 0, window 64 run; system
        calls per message and the store's commit count."""
        wd = self.workdir("strace-d0-w64")
        smsc = Smsc(wd, name="smsc", delay_ms=0, quiet=True).start()
        b = self.bridge(wd, smsc, 64)
        try:
            st = procs.start(["strace", "-c", "-f", "-o", str(wd / "strace.txt"), "-p", str(b.pid)], log_dir=wd,
                             name="strace")
            time.sleep(1.0)
            self.senders.blast(n, SMS)
            wait_accepted(smsc, n, timeout=120)
            time.sleep(0.5)
            procs.stop(st, timeout=30)
            commits = b.metric("passerelle_store_commits")
            calls = {}
            for line in (wd / "strace.txt").read_text().splitlines():
                f = line.split()
                if len(f) >= 5 and f[0][0].isdigit() and f[-1] != "total":
                    calls[f[-1]] = int(f[3])
            return {"n": n, "store_commits": commits, "per_message": {k: v / n for k, v in
                                                                       sorted(calls.items(), key=lambda x: -x[1])}}
        finally:
            if b.running():
                b.sigterm()
            smsc.stop()

    def run_passerelle(self, delay: int, window: int, n: int, perf: bool = False) -> dict:
        wd = self.workdir(f"passerelle-d{delay}-w{window}{'-perf' if perf else ''}")
        smsc = Smsc(wd, name="smsc", delay_ms=delay, quiet=True).start()
        b = self.bridge(wd, smsc, window)
        pid = b.pid
        try:
            time.sleep(0.3)
            perf_proc = None
            if perf:
                graph = ["--call-graph", "dwarf,8192"] if self.args.perf_dwarf else ["-g"]
                perf_proc = procs.start(["perf", "record", "-F", "499", *graph, "-p", str(pid), "-o",
                                         str(wd / "perf.data")], log_dir=wd, name="perf")
                time.sleep(0.5)
            c0, s0, m0 = cpu_seconds([pid]), sched_ns(pid), cpu_seconds([smsc.proc.pid])
            wall, _ = self.senders.blast(n, SMS)
            wait_accepted(smsc, n, timeout=max(60, 5 * n / 100))
            time.sleep(0.3)                 # the last submit_sm_resp is processed and committed
            c1, s1, m1 = cpu_seconds([pid]), sched_ns(pid), cpu_seconds([smsc.proc.pid])
            top = None
            if perf_proc is not None:
                procs.stop(perf_proc, timeout=30)
                top = perf_top(wd / "perf.data")
            deliveries = {dict(labels).get("outcome", "?"): v for (name, labels), v in b.metrics().items()
                          if name == "passerelle_deliveries_total"}
            exit_code = b.sigterm()
            smsc.stop()
            times = sim_times(smsc.log_path)
            return {"n": n, "accepted": len(times), "rate": rate(times), "cpu_s": c1 - c0,
                    "exit_code": exit_code, "log": log_digest(wd / "passerelle.stderr.log"),
                    "deliveries": deliveries,
                    "sched_cpu_s": (s1 - s0) / 1e9, "sim_cpu_s": m1 - m0, "sender_wall_s": wall,
                    "perf_top": top}
        finally:
            if b.running():
                b.sigterm()
            if smsc.running():
                smsc.stop()

    def run_kannel(self, delay: int, window: int, n: int) -> dict:
        wd = self.workdir(f"kannel-d{delay}-w{window}")
        smsc = Smsc(wd, name="smsc", delay_ms=delay, quiet=True).start()
        k = Kannel(wd, smsc.port, window)
        try:
            k.start(smsc)
            time.sleep(0.5)
            c0, m0 = cpu_seconds(k.pids), cpu_seconds([smsc.proc.pid])
            client_cpu, failures = k.send(n, threads=self.args.http_threads, timeout=max(120, 5 * n / 100))
            wait_accepted(smsc, n - failures, timeout=max(60, 5 * n / 100))
            time.sleep(0.3)
            c1, m1 = cpu_seconds(k.pids), cpu_seconds([smsc.proc.pid])
            k.stop()
            smsc.stop()
            times = sim_times(smsc.log_path)
            return {"n": n, "accepted": len(times), "rate": rate(times), "cpu_s": c1 - c0,
                    "client_cpu_s": client_cpu, "client_wall_s": k.client_wall_s, "http_failures": failures,
                    "sim_cpu_s": m1 - m0}
        finally:
            k.stop()
            if smsc.running():
                smsc.stop()

    def run_direct(self, delay: int, window: int, n: int) -> dict:
        wd = self.workdir(f"direct-d{delay}-w{window}")
        smsc = Smsc(wd, name="smsc", delay_ms=delay, quiet=True).start()
        try:
            cpu = asyncio.run(direct_run(smsc.port, n, window, timeout=max(60, 5 * n / 100)))
            wait_accepted(smsc, n, timeout=30)
            node_cpu = cpu_seconds([smsc.proc.pid])
            smsc.stop()
            times = sim_times(smsc.log_path)
            return {"n": n, "accepted": len(times), "rate": rate(times), "client_cpu_s": cpu,
                    "sim_cpu_total_s": node_cpu}
        finally:
            if smsc.running():
                smsc.stop()

    def run_latency(self, delay: int, window: int, n: int, per_second: float, extra: dict | None = None,
                    tag: str = "") -> dict:
        wd = self.workdir(f"latency-d{delay}-w{window}{tag}")
        smsc = Smsc(wd, name="smsc", delay_ms=delay, quiet=True).start()
        b = self.bridge(wd, smsc, window, extra)
        dump = None
        try:
            pcap = wd / "lo.pcap"
            ports = (self.prosody.c2s_port, self.prosody.component_port, smsc.port)
            if self.have_tcpdump:
                flt = "tcp and (" + " or ".join(f"port {p}" for p in ports) + ")"
                dump = procs.start(["tcpdump", "-i", "lo", "-n", "-s", "0", "-B", "8192", "--immediate-mode", "-U", "-w", str(pcap),
                                    flt], log_dir=wd, name="tcpdump")
                procs.wait_until(lambda: "listening on" in Path(dump.stderr_path).read_text(errors="replace"),
                                 timeout=15, message="tcpdump listening")
            time.sleep(0.3)
            self.senders.paced(n, per_second, SMS, timeout=n / per_second + 60)
            wait_accepted(smsc, n, timeout=60)
            time.sleep(1.0)
            if dump is not None:
                procs.stop(dump, timeout=10)
            exit_code = b.sigterm()
            smsc.stop()
            # end to end at ms resolution: body timestamp -> simulator log time
            e2e_ms = []
            with open(smsc.log_path) as f:
                for line in f:
                    e = json.loads(line)
                    m = re.search(r"t=(\d+\.\d+)", e.get("text", ""))
                    if m:
                        arr = datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
                        e2e_ms.append((arr - float(m.group(1))) * 1000)
            res = {"n": n, "per_second": per_second, "sim_log_e2e_ms": summary(e2e_ms), "exit_code": exit_code,
                   "log": log_digest(wd / "passerelle.stderr.log")}
            if dump is not None:
                pk = read_pcap(pcap)
                c2s, comp, simp = ports
                t_client = first_marks(pk, lambda s, d: d == c2s)      # user -> Prosody
                t_in = first_marks(pk, lambda s, d: s == comp)         # Prosody -> bridge
                t_out = first_marks(pk, lambda s, d: d == simp)        # bridge -> simulator
                common = sorted(set(t_client) & set(t_in) & set(t_out))
                res["pcap_matched"] = len(common)
                res["bridge_ms"] = summary([(t_out[i] - t_in[i]) * 1000 for i in common])
                res["prosody_ms"] = summary([(t_in[i] - t_client[i]) * 1000 for i in common])
                res["e2e_ms"] = summary([(t_out[i] - t_client[i]) * 1000 for i in common])
            return res
        finally:
            if dump is not None and dump.running():
                procs.stop(dump)
            if b.running():
                b.sigterm()
            if smsc.running():
                smsc.stop()

    # -- the whole run -----------------------------------------------------------------

    def run(self):
        a = self.args
        if not a.skip_kannel:
            ensure_kannel()
        self.have_tcpdump = ensure_tcpdump()
        log(f"work dir {self.tmp}")
        self.start_xmpp()
        log("sender + Prosody ceiling (sink component)")
        self.results["sink"]["before"] = self.run_sink(a.n)
        log("  ", fmt_dict(self.results["sink"]["before"]))
        # the simulator's ceiling at delay 0 for each window first: it bounds every delay
        for delay in a.delays:
            for window in a.windows:
                latency_bound = window / (delay / 1000) if delay else float("inf")
                n = a.n if latency_bound == float("inf") else int(min(a.n, max(500, latency_bound * a.slow_seconds)))
                key = f"{delay},{window}"
                pt = self.results["points"][key] = {"delay_ms": delay, "window": window, "n": n}
                runs = {"direct": [], "passerelle": [], "kannel": []}
                for rep in range(a.repeat):
                    log(f"delay {delay} ms, window {window}, N {n}, repeat {rep + 1}/{a.repeat}")
                    runs["direct"].append(self.run_direct(delay, window, n))
                    log("   direct:    ", fmt_dict(runs["direct"][-1]))
                    runs["passerelle"].append(self.run_passerelle(delay, window, n))
                    log("   passerelle:", fmt_dict(runs["passerelle"][-1]))
                    if not a.skip_kannel:
                        runs["kannel"].append(self.run_kannel(delay, window, n))
                        log("   kannel:    ", fmt_dict(runs["kannel"][-1]))
                for system, rs in runs.items():
                    if rs:
                        pt[system] = median_run(rs)
        for delay in a.delays:
            log(f"latency at {a.latency_rate:g} msg/s, delay {delay} ms, window {a.latency_window}")
            self.results["latency"][str(delay)] = self.run_latency(delay, a.latency_window, a.latency_n,
                                                                 a.latency_rate)
            log("  ", fmt_dict(self.results["latency"][str(delay)]))
        log("sender + Prosody ceiling again")
        self.results["sink"]["after"] = self.run_sink(a.n)
        log("  ", fmt_dict(self.results["sink"]["after"]))
        if a.diagnose:
            log("diagnostic: latency with store.synchronous = normal (no fsync per commit)")
            self.results["diag_latency_sync_normal"] = self.run_latency(
                0, a.latency_window, a.latency_n, a.latency_rate, extra={"store": {"synchronous": "normal"}},
                tag="-sync-normal")
            log("  ", fmt_dict(self.results["diag_latency_sync_normal"]))
            if shutil.which("strace"):
                log("diagnostic: strace -c during a delay 0, window 64 run")
                self.results["diag_strace"] = self.run_strace(a.n)
                log("  ", fmt_dict(self.results["diag_strace"]))
        if a.perf and shutil.which("perf"):
            pd, pw = (int(x) for x in a.perf_at.split(","))
            log(f"profiled passerelle run (perf record), delay {pd}, window {pw} (not used for the figures)")
            self.results["perf"] = self.run_passerelle(pd, pw, a.n, perf=True)
        self.senders.stop()
        self.prosody.stop()


def log_digest(path: Path) -> dict:
    """The daemon's stderr (log level warn): line counts by message, numbers and ids
    blanked, so that warnings and crashes show up in the report."""
    counts: dict[str, int] = {}
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return counts
    for line in lines:
        text = re.sub(r"^\d{4}-\d\d-\d\dT[\d:.]+\s+", "", line)
        text = re.sub(r"\b[0-9A-Z]{26}\b", "<id>", text)
        text = re.sub(r"\d+", "N", text)
        counts[text] = counts.get(text, 0) + 1
    return counts


def median_run(runs: list[dict]) -> dict:
    """The run with the median rate, with rate and every *_s figure replaced by the
    median over the runs, and the per-run values kept in `all`."""
    import statistics
    ordered = sorted(runs, key=lambda r: r["rate"])
    out = dict(ordered[(len(ordered) - 1) // 2])
    for k, v in runs[0].items():
        if isinstance(v, float) and (k == "rate" or k.endswith("_s")):
            out[k] = statistics.median(r[k] for r in runs)
    out["all"] = [{k: v for k, v in r.items() if k != "perf_top"} for r in runs]
    if any("exit_code" in r for r in runs):
        out["exit_codes"] = [r.get("exit_code") for r in runs]
        merged: dict[str, int] = {}
        for r in runs:
            for k, v in r.get("log", {}).items():
                merged[k] = merged.get(k, 0) + v
        out["log"] = merged
    return out


def summary(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    return {"count": len(values), "min": min(values), "p50": pct(values, 50), "p90": pct(values, 90),
            "p99": pct(values, 99), "max": max(values)}


def fmt_dict(d: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in d.items()
                     if k != "perf_top")


def perf_top(path: Path, lines: int = 15) -> list[str]:
    r = subprocess.run(["perf", "report", "-i", str(path), "--stdio", "--no-children", "--sort", "dso,sym",
                        "-g", "none", "--percent-limit", "1"], capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    rows = [l for l in r.stdout.splitlines() if l.strip() and not l.startswith("#")]
    return rows[:lines]


# ---------------------------------------------------------------------------------
# Report

def machine() -> dict:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    kannel = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "kannel"], capture_output=True,
                            text=True).stdout.strip()
    prosody = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "prosody"], capture_output=True,
                             text=True).stdout.strip()
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
    except OSError:
        commit = "?"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--short", "--untracked-files=no", "--", ".",
                            ":!bench"], capture_output=True, text=True).stdout.split("\n")
    dirty = [l[3:] for l in dirty if l.strip()]
    binary = os.environ.get("PASSERELLE_BIN") or str(ROOT / "build/default/bridge/app/passerelle")
    try:
        built = datetime.datetime.fromtimestamp(os.stat(binary).st_mtime, datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC")
    except OSError:
        built = "?"
    return {"dirty": dirty, "built": built, "nproc": os.cpu_count(), "model": model, "ram_gib": round(mem_kb / 1048576, 1),
            "kernel": platform.release(), "kannel": kannel, "prosody": prosody, "commit": commit,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}


def f0(x):
    return "n/a" if x is None or x != x else f"{x:,.0f}"


def f2(x):
    return "n/a" if x is None or x != x else f"{x:.2f}"


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(res: dict, args, cmd: str) -> str:
    m = res["machine"]
    pts = res["points"]
    ceiling = {p["window"]: p["direct"]["rate"] for p in pts.values() if p["delay_ms"] == 0}
    rows = []
    goals = {"bound": [], "cpu_vs_kannel": [], "cpu_us": []}
    for key, p in pts.items():
        d, w = p["delay_ms"], p["window"]
        ceil = ceiling.get(w, p["direct"]["rate"])
        bound = ceil if d == 0 else min(w / (d / 1000), ceil)
        pr = p["passerelle"]["rate"]
        kr = p.get("kannel", {}).get("rate", float("nan"))
        pc = p["passerelle"]["cpu_s"] / p["n"] * 1000
        kc = p["kannel"]["cpu_s"] / p["n"] * 1000 if "kannel" in p else float("nan")
        p.update({"bound": bound, "pass_over_bound": pr / bound, "kannel_over_bound": kr / bound,
                  "pass_cpu_per_1000": pc, "kannel_cpu_per_1000": kc})
        goals["bound"].append((key, pr / bound))
        goals["cpu_vs_kannel"].append((key, pc / kc if kc else float("nan")))
        goals["cpu_us"].append((key, pc * 1000))   # CPU-s per 1000 msgs == ms per msg; *1000 -> us
        def rng(system):
            rs = [r["rate"] for r in p.get(system, {}).get("all", [])]
            return f" ({f0(min(rs))}-{f0(max(rs))})" if len(rs) > 1 else ""
        rows.append(f"| {d} | {w} | {p['n']} | {f0(pr)}{rng('passerelle')} | {f0(kr)}{rng('kannel')} | "
                    f"{f0(p['direct']['rate'])}{rng('direct')} | {f0(bound)} | "
                    f"{pr / bound:.0%} | {kr / bound:.0%} | {pr / p['direct']['rate']:.0%} | {f2(pc)} | {f2(kc)} | "
                    f"{pc / kc:.2f} |")
    util_rows = []
    for key, p in pts.items():
        def busy(r, k):
            span = (r["accepted"] - 1) / r["rate"] if r.get("rate") and r["rate"] == r["rate"] else float("nan")
            return r.get(k, float("nan")) / span if span else float("nan")
        pp, kk = p["passerelle"], p.get("kannel", {})
        util_rows.append(f"| {p['delay_ms']} | {p['window']} | {busy(pp, 'cpu_s'):.0%} | {busy(pp, 'sim_cpu_s'):.0%} | "
                         f"{busy(kk, 'cpu_s') if kk else float('nan'):.0%} | "
                         f"{busy(kk, 'sim_cpu_s') if kk else float('nan'):.0%} | "
                         f"{busy(kk, 'client_cpu_s') if kk else float('nan'):.0%} |")
    lat_rows = []
    for delay, l in res["latency"].items():
        for label, k in (("bridge: component socket in -> submit_sm out (pcap)", "bridge_ms"),
                         ("Prosody: client socket in -> component socket out (pcap)", "prosody_ms"),
                         ("end to end: client socket in -> submit_sm out (pcap)", "e2e_ms"),
                         ("end to end: body timestamp -> simulator log (1 ms resolution)", "sim_log_e2e_ms")):
            s = l.get(k)
            if s and s.get("count"):
                lat_rows.append(f"| {delay} | {label} | {s['count']} | {s['p50']:.3f} | {s['p90']:.3f} | "
                                f"{s['p99']:.3f} | {s['max']:.3f} |")
    sink = res["sink"]
    worst_bound = min(goals["bound"], key=lambda x: x[1])
    worst_cpu_ratio = max(goals["cpu_vs_kannel"], key=lambda x: x[1])
    worst_cpu_us = max(goals["cpu_us"], key=lambda x: x[1])
    lat_p99 = max((l["bridge_ms"]["p99"] for l in res["latency"].values() if l.get("bridge_ms", {}).get("count")),
                  default=float("nan"))
    out = [
        "<!-- bench/e2e/xmpp_to_sms.py: begin -->",
        "## XMPP -> SMS end to end",
        "",
        f"Command (repository root, as root): `{cmd}`  ",
        f"Machine: {m['nproc']} CPUs ({m['model']}), {m['ram_gib']} GiB RAM, Linux {m['kernel']}; "
        f"shared and noisy (other work runs on it).  ",
        f"Date: {m['date']}; passerelle binary built {m['built']} (RelWithDebInfo; HEAD at run time {m['commit']}"
        f"{'; the working tree also had uncommitted changes to ' + ', '.join(m['dirty']) if m['dirty'] else ''}), Kannel {m['kannel']}, "
        f"Prosody {m['prosody']}, SMSC simulator tests/peers/smsc/smsc.js (npm smpp 0.5.1).",
        "",
        "Setup: Prosody with component sms.example.org; passerelle with log level warn, no cap, "
        "throughput 100000, delivery_receipts = false, SQLite synchronous = full (the default); "
        f"Kannel bearerbox + smsbox, SMPP transceiver, max-pending-submits = window, file store, "
        f"log level 2, fed by {args.http_threads} keep-alive HTTP connections to sendsms; the direct "
        "client is an asyncio SMPP transceiver keeping `window` submit_sm unanswered. "
        f"{args.users} XMPP users send the N messages in bulk (pre-built stanzas, send_raw), each to a "
        "distinct +3361xxxxxxx. msgs/s = (accepted - 1) / (last - first submit_sm time in the "
        "simulator's log). CPU from /proc/<pid>/stat utime+stime over the run "
        "(bearerbox + smsbox for Kannel). Each system runs `--repeat` times per point, interleaved; "
        "the table gives medians (rate and CPU separately) and the range of rates. Bound = min(window / delay, the direct client's rate at "
        "delay 0 with the same window); at delay 0 the bound is that ceiling.",
        "",
        "| delay ms | window | N | passerelle msg/s (range) | Kannel msg/s (range) | direct msg/s (range) | bound | passerelle/bound | "
        "Kannel/bound | passerelle/direct | passerelle CPU-s/1000 | Kannel CPU-s/1000 | CPU ratio p/K |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "CPU busy during each run (CPU seconds / seconds from first to last submit_sm; 100 % = one "
        "core; the machine has 2):",
        "",
        "| delay ms | window | passerelle | simulator (passerelle run) | bearerbox+smsbox | "
        "simulator (Kannel run) | Python HTTP client |",
        "|---|---|---|---|---|---|---|",
        *util_rows,
        "",
        f"Sender + Prosody ceiling (same users, same bulk send, to a raw counting component "
        f"sink.example.org instead of the bridge): {f0(sink['before']['rate'])} msg/s before the runs, "
        f"{f0(sink['after']['rate'])} after (the senders hand N stanzas to their sockets in "
        f"{sink['before']['blast_wall_s']:.2f} s). ",
        "",
        f"Added latency at a paced {args.latency_rate:g} msg/s, window {args.latency_window}, "
        f"{args.latency_n} messages, ms (pcap = kernel timestamps on lo from tcpdump):",
        "",
        "| delay ms | span | count | p50 | p90 | p99 | max |",
        "|---|---|---|---|---|---|---|",
        *lat_rows,
        "",
        "The bridge span includes reading and parsing the stanza, access and routing, the SQLite "
        "commit of the message and its outbox row (fsync), SMPP encoding and the write; it does not "
        "include Prosody or the simulator. The end-to-end spans add slixmpp's socket -> Prosody -> "
        "component socket.",
        "",
        "Goals:",
        "",
        f"- passerelle >= 95 % of the bound: {met(worst_bound[1] >= 0.95)} (worst {worst_bound[1]:.0%} at "
        f"delay,window = {worst_bound[0]}).",
        f"- passerelle CPU <= half of Kannel's per message: {met(worst_cpu_ratio[1] <= 0.5)} (worst ratio "
        f"{worst_cpu_ratio[1]:.2f} at {worst_cpu_ratio[0]}).",
        f"- passerelle CPU <= 50 us per message: {met(worst_cpu_us[1] <= 50)} (worst {worst_cpu_us[1]:.0f} us "
        f"at {worst_cpu_us[0]}).",
        f"- added latency p99 <= 1 ms at {args.latency_rate:g} msg/s: {met(lat_p99 <= 1.0)} "
        f"(bridge span p99 {lat_p99:.2f} ms, worst delay).",
    ]
    dl = res.get("diag_latency_sync_normal")
    if dl and dl.get("bridge_ms", {}).get("count"):
        b = dl["bridge_ms"]
        out += ["", f"Diagnostic, same latency run at delay 0 with `store.synchronous = \"normal\"` (no fsync per "
                f"commit): bridge span p50 {b['p50']:.3f} ms, p90 {b['p90']:.3f}, p99 {b['p99']:.3f}, max "
                f"{b['max']:.3f} ms ({b['count']} messages)."]
    ds = res.get("diag_strace")
    if ds:
        top = ", ".join(f"{k} {v:.2f}" for k, v in list(ds["per_message"].items())[:10])
        total = sum(ds["per_message"].values())
        commits = ds.get("store_commits")
        out += ["", f"Diagnostic, `strace -c -f` on the bridge during a delay 0, window 64 run of {ds['n']} messages "
                f"(strace slows it; counts only): {total:.1f} system calls per message: {top}; "
                f"{f0(commits)} store commits ({ds['n'] / commits:.1f} messages per commit)." if commits else ""]
    if res.get("perf", {}).get("perf_top"):
        pd, pw = args.perf_at.split(",")
        graph = "--call-graph dwarf" if args.perf_dwarf else "-g"
        out += ["", f"Profile of one extra passerelle run (delay {pd}, window {pw}; `perf record -F 499 {graph} -p`, "
                "self time, >= 1 %):", "", "```", *res["perf"]["perf_top"], "```"]
    logs: dict[str, int] = {}
    exits = []
    for where, r in ([(f"{p['delay_ms']},{p['window']}", p["passerelle"]) for p in pts.values()]
                     + [(f"latency {d}", l) for d, l in res["latency"].items()]
                     + [("diag sync normal", res.get("diag_latency_sync_normal") or {})]):
        for k, v in r.get("log", {}).items():
            logs[k] = logs.get(k, 0) + v
        for c in r.get("exit_codes", [r.get("exit_code")] if "exit_code" in r else []):
            if c != 0:
                exits.append(f"{where}: {c}")
    if logs or exits:
        out += ["", "What the daemon logged at level warn over all the runs above (numbers blanked), and "
                "non-zero exit codes after SIGTERM:", ""]
        out += [f"- {v} x `{k}`" for k, v in sorted(logs.items(), key=lambda x: -x[1])[:8]]
        out += [f"- exit code {e}" for e in exits]
        refused = {f"{p['delay_ms']},{p['window']}": sum(v for k, v in p["passerelle"].get("log", {}).items()
                                                         if "queue full" in k) for p in pts.values()}
        out += ["", "`pending queue full` refusals per point (all repeats): "
                + ", ".join(f"{k}: {v}" for k, v in refused.items()) + "."]
    out += ["", f"Load average when the run started: {res.get('loadavg_start', '?')}, when it ended: "
            f"{res.get('loadavg_end', '?')}."]
    out += ["", "Caveats: everything (Prosody, the simulator in node, the Python senders, the system under "
            "test) shares the same 2 cores, so the systems compete with their load generators, and other jobs ran on the machine too; CPU ticks are 10 ms (a few % of the smaller figures). Raw figures: "
            "bench/e2e/last_run.json.", *[f"Note: {n}" for n in res["notes"]],
            "<!-- bench/e2e/xmpp_to_sms.py: end -->", ""]
    return "\n".join(out)


RESULTS_HEADER = """# Benchmark results

Every figure below comes with the command that produced it, the machine it ran on, and a
ratio to a reference measured in the same run (a gateway, a ceiling or a bound), so that
figures from different machines or days are compared through their ratios only.

"""


def write_results(section: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text = path.read_text() if path.exists() else RESULTS_HEADER
    begin, end = "<!-- bench/e2e/xmpp_to_sms.py: begin -->", "<!-- bench/e2e/xmpp_to_sms.py: end -->"
    if begin in text and end in text:
        pre, rest = text.split(begin, 1)
        post = rest.split(end, 1)[1].lstrip("\n")
        text = pre + section + ("\n" + post if post else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=3000, help="messages per point (default 3000)")
    ap.add_argument("--delays", default="0,10", help="simulator delays in ms (default 0,10)")
    ap.add_argument("--windows", default="1,10,64", help="SMPP windows (default 1,10,64)")
    ap.add_argument("--slow-seconds", type=float, default=15.0,
                    help="where window/delay is low, N is cut to about this many seconds at the bound")
    ap.add_argument("--repeat", type=int, default=3, help="runs per system and point; medians reported")
    ap.add_argument("--users", type=int, default=4, help="concurrent XMPP senders (default 4)")
    ap.add_argument("--http-threads", type=int, default=8, help="HTTP connections into Kannel (default 8)")
    ap.add_argument("--latency-n", type=int, default=1000)
    ap.add_argument("--latency-rate", type=float, default=100.0)
    ap.add_argument("--latency-window", type=int, default=10)
    ap.add_argument("--skip-kannel", action="store_true")
    ap.add_argument("--diagnose", action=argparse.BooleanOptionalAction, default=True,
                    help="extra diagnostic runs: latency with synchronous=normal, strace -c (default on)")
    ap.add_argument("--perf", action="store_true", help="one extra profiled passerelle run (perf record)")
    ap.add_argument("--perf-at", default="0,64", help="with --perf: the delay,window of the profiled run")
    ap.add_argument("--perf-dwarf", action="store_true",
                    help="with --perf: DWARF call graphs (callers through libraries built without frame "
                         "pointers; larger files); the profile stays in the work dir for perf report")
    ap.add_argument("--bridge-extra", default="",
                    help="JSON merged into the bridge's config (exploration; the figures use the defaults)")
    ap.add_argument("--no-write", action="store_true", help="do not touch bench/RESULTS.md")
    args = ap.parse_args()
    args.delays = [int(x) for x in args.delays.split(",")]
    args.windows = [int(x) for x in args.windows.split(",")]
    if not Bridge.binary_available():
        sys.exit("no passerelle binary: build it and set PASSERELLE_BIN")
    cmd = "PASSERELLE_BIN=$PWD/build/default/bridge/app/passerelle /usr/bin/python3 bench/e2e/xmpp_to_sms.py " \
          + " ".join(sys.argv[1:])
    t0 = time.monotonic()
    bench = Bench(args)
    loadavg_start = open("/proc/loadavg").read().split()[:3]
    try:
        bench.run()
    finally:
        procs.stop_all()
    res = bench.results
    res["machine"] = machine()
    res["loadavg_start"] = " ".join(loadavg_start)
    res["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    res["command"] = cmd.strip()
    res["elapsed_s"] = time.monotonic() - t0
    section = report(res, args, cmd.strip())
    (HERE / "last_run.json").write_text(json.dumps(res, indent=1, default=str) + "\n")
    print()
    print(section)
    if not args.no_write:
        write_results(section)
        log("bench/RESULTS.md updated")
    log(f"done in {res['elapsed_s']:.0f} s; work dir {bench.tmp} (delete it when done)")


if __name__ == "__main__":
    main()
