#!/usr/bin/python3
"""RCS text messages through passerelle: throughput and added latency, against a direct
chatbot client on the same MaaP platform test server, in the same run.

Everything on 127.0.0.1: Prosody (XMPP users u0..uK), the in-tree MaaP platform test
server (tests/peers/rcs, one platform "carrier-a" with two bots and P phones), and the
passerelle daemon as bot "bot-a" (its webhook receives the platform's status events).

  reference  a chatbot client (keep-alive HTTP/1.1, C connections, one thread each)
             POSTs straight to the platform as bot "bot-ref" (its webhook: a small
             Python HTTP server in this process that answers 200)
  bridged    XMPP users -> Prosody -> passerelle (component rcs.example.org, store,
             router, RCS connector, C keep-alive connections) -> the platform as "bot-a"

A message's time is taken from the platform's own record (control command `sent`: the
status history of every message the bots sent, ISO timestamps with 1 ms resolution,
wall clock of the same machine): latency = platform acceptance ("pending" entry) minus
the time.time() the bench took just before handing the message to its socket.

Throughput: N messages sent at once (reference: C threads in a loop; bridged: pre-built
stanzas written in bulk by the K users), msgs/s = N / (last acceptance - first send).
Latency: L messages paced at R msg/s, one sender, p50/p90/p99 of send -> acceptance.

    PASSERELLE_BIN=$PWD/build/core/bridge/app/passerelle /usr/bin/python3 bench/rcs/text_bench.py

Writes bench/rcs/last_run.json and its section of bench/RESULTS.md (--no-write: neither).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import http.client
import http.server
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT))

from lib import procs  # noqa: E402
from lib.bridge import Bridge  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402
from tests.peers.rcs.harness import MaapServerProc, platform  # noqa: E402

DOMAIN = "example.org"
RCS = f"rcs.{DOMAIN}"
SECRET = "component-secret"
PLATFORM = "carrier-a"
BOT, BOT_TOKEN, HOOK_TOKEN = "bot-a", "tok-a", "Bearer hook-a"
REF_BOT = "bot-ref"
MARK = re.compile(r"M(\d{7})Z")
CLK = os.sysconf("SC_CLK_TCK")
BEGIN, END = "<!-- bench/rcs/text_bench.py: begin -->", "<!-- bench/rcs/text_bench.py: end -->"


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def phone(i: int, phones: int) -> str:
    return f"+336110{i % phones:05d}"


def text(seq: int) -> str:
    # same length for every message; the marker M<seq>Z is found again in the platform's record
    return f"M{seq:07d}Z rcs benchmark message, a short chat line"


def iso_ts(s: str) -> float:
    # the platform truncates to the millisecond: take the middle of that millisecond
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp() + 0.0005


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK


def pct(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summary_ms(values) -> dict:
    v = [x * 1000 for x in values]
    return {"n": len(v), "p50": round(pct(v, 50), 2), "p90": round(pct(v, 90), 2), "p99": round(pct(v, 99), 2),
            "max": round(max(v), 2) if v else None, "mean": round(statistics.fmean(v), 2) if v else None}


# ---------------------------------------------------------------------------------
# The reference chatbot: its webhook and its sender

class RefWebhook:
    """The reference bot's webhook: answers 200 at once, counts events."""

    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with hook.lock:
                    hook.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="ref-webhook", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class RefClient:
    """One keep-alive HTTP/1.1 connection to the platform, as bot-ref."""

    def __init__(self, api_url: str, token: str):
        from urllib.parse import urlsplit
        u = urlsplit(api_url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        self.path = f"{u.path.rstrip('/')}/{REF_BOT}/messages"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def send(self, number: str, body: str) -> int:
        doc = json.dumps({"RCSMessage": {"textMessage": body}, "messageContact": {"userContact": number}})
        self.conn.request("POST", self.path, body=doc, headers=self.headers)
        r = self.conn.getresponse()
        r.read()
        return r.status

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.a = args
        self.tmp = Path(tempfile.mkdtemp(prefix="passerelle-rcs-bench-", dir=os.environ.get("PASSERELLE_TEST_TMP")))
        self.seq = 0
        self.sent_at: dict[int, float] = {}      # seq -> time.time() just before the send
        self.res: dict = {}

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    # -- setup -------------------------------------------------------------------------

    def start(self):
        a = self.a
        self.ref_hook = RefWebhook()
        self.webhook_port = free_port()
        self.phones = [phone(i, a.phones) for i in range(a.phones)]
        self.maap = MaapServerProc(
            self.tmp,
            platforms=[platform(PLATFORM, [{"id": BOT, "webhook": f"http://127.0.0.1:{self.webhook_port}/rcs/{PLATFORM}",
                                            "webhook_token": HOOK_TOKEN},
                                           {"id": REF_BOT, "webhook": self.ref_hook.url, "webhook_token": "Bearer ref"}],
                                BOT_TOKEN, ["+3361"])],
            phones=[{"number": p} for p in self.phones],
            extra_args=["--log-level", "WARNING"]).start()
        names = [f"u{k}" for k in range(a.users)]
        self.prosody = Prosody(self.tmp, domain=DOMAIN, networks=("rcs",), secret=SECRET,
                               users={n: f"{n}-pw" for n in names}, log_level="warn")
        self.prosody.start()
        self.bridge = Bridge(self.tmp / "passerelle", {
            "log": {"level": "warn"},
            "xmpp": {"enabled": True, "component_host": "127.0.0.1", "component_port": self.prosody.component_port,
                     "secret": SECRET, "networks": ["rcs"], "reconnect_initial_ms": 200, "reconnect_max_ms": 1000},
            "rcs": {"enabled": True, "webhook_listen": f"127.0.0.1:{self.webhook_port}", "fallback_after_s": 3600,
                    "platform": [{"name": PLATFORM, "api_url": self.maap.api_url(PLATFORM), "bot_id": BOT,
                                  "token": BOT_TOKEN, "webhook_token": HOOK_TOKEN, "ranges": ["+3361"],
                                  "timeout_ms": 10000, "max_connections": a.connections}]},
        })
        self.bridge.start()

        def up():
            doc = self.bridge.get_json("/readyz")
            return doc.get("ready") and all(c["state"] == "up" for c in doc["connectors"])
        procs.wait_until(up, timeout=30, message="every bridge link up on /readyz")
        self.users = [XmppUser(f"{n}@{DOMAIN}/bench", f"{n}-pw", self.prosody.c2s_port).start() for n in names]

    def stop(self):
        for u in getattr(self, "users", []):
            try:
                u.stop()
            except Exception:  # noqa: BLE001
                pass
        for x in ("bridge", "maap", "prosody"):
            obj = getattr(self, x, None)
            if obj is not None:
                rc = obj.stop()
                if x == "bridge":
                    self.res["bridge_exit_code"] = rc
        if hasattr(self, "ref_hook"):
            self.ref_hook.stop()
        procs.stop_all()

    # -- the platform's record ------------------------------------------------------------

    def records(self, bot: str) -> dict[int, dict]:
        """seq -> {"accepted", "delivered" (or None), "status", "number"} for every message
        of `bot` that carries a marker."""
        out = {}
        for m in self.maap.control("sent", platform=PLATFORM, bot=bot)["messages"]:
            t = (m["request"].get("RCSMessage") or {}).get("textMessage") or ""
            mk = MARK.search(t)
            if not mk:
                continue
            hist = {s: ts for s, ts in m["history"]}
            out[int(mk.group(1))] = {"accepted": iso_ts(hist["pending"]),
                                     "delivered": iso_ts(hist["delivered"]) if "delivered" in hist else None,
                                     "status": m["status"], "number": m["number"], "text": t}
        return out

    def wait_recorded(self, bot: str, seqs: list[int], timeout: float) -> dict[int, dict]:
        want = set(seqs)
        deadline = time.monotonic() + timeout
        while True:
            rec = self.records(bot)
            if want <= rec.keys() or time.monotonic() > deadline:
                return {s: rec[s] for s in want if s in rec}
            time.sleep(0.2)

    def settle(self, timeout: float = 120.0) -> float:
        """Waits until the platform has no pending message and no queued webhook."""
        t0 = time.monotonic()
        self.maap.control("wait_idle", timeout=timeout)
        return time.monotonic() - t0

    # -- reference -----------------------------------------------------------------------

    def ref_throughput(self, n: int) -> dict:
        api = self.maap.api_url(PLATFORM)
        seqs = [self.next_seq() for _ in range(n)]
        parts = [seqs[k::self.a.connections] for k in range(self.a.connections)]
        clients = [RefClient(api, BOT_TOKEN) for _ in parts]
        errors = []
        for c in clients:          # open each connection before the clock starts
            c.conn.connect()
        start = threading.Barrier(len(clients) + 1)

        def worker(c, mine):
            start.wait()
            for s in mine:
                self.sent_at[s] = time.time()
                st = c.send(self.phones[s % len(self.phones)], text(s))
                if st != 202:
                    errors.append(st)
        threads = [threading.Thread(target=worker, args=(c, p)) for c, p in zip(clients, parts)]
        for t in threads:
            t.start()
        c0 = cpu_s(self.maap.pid)
        start.wait()
        t_first = time.time()
        for t in threads:
            t.join()
        t_sent = time.time()
        for c in clients:
            c.close()
        return self.collect("reference", REF_BOT, seqs, t_first, t_sent, c0, errors=errors)

    def ref_latency(self, n: int, rate: float) -> dict:
        c = RefClient(self.maap.api_url(PLATFORM), BOT_TOKEN)
        c.conn.connect()
        seqs, errors = [], []
        t0 = time.monotonic() + 0.05
        for i in range(n):
            d = t0 + i / rate - time.monotonic()
            if d > 0:
                time.sleep(d)
            s = self.next_seq()
            seqs.append(s)
            self.sent_at[s] = time.time()
            st = c.send(self.phones[s % len(self.phones)], text(s))
            if st != 202:
                errors.append(st)
        c.close()
        rec = self.wait_recorded(REF_BOT, seqs, 60)
        return self.latencies(seqs, rec, errors)

    # -- bridged -----------------------------------------------------------------------------

    def stanza(self, s: int) -> str:
        return (f"<message to='{self.phones[s % len(self.phones)]}@{RCS}' type='chat' id='rb{s}'>"
                f"<body>{text(s)}</body></message>")

    def bridge_warmup(self):
        """One message per phone, so that every capability is cached before measuring."""
        seqs = [self.next_seq() for _ in self.phones]
        for s in seqs:
            self.sent_at[s] = time.time()
            self.users[0].send_raw(self.stanza(s))
        rec = self.wait_recorded(BOT, seqs, 60)
        if len(rec) != len(seqs):
            raise RuntimeError(f"warm-up: {len(rec)} of {len(seqs)} messages reached the platform")

    def bridge_throughput(self, n: int) -> dict:
        seqs = [self.next_seq() for _ in range(n)]
        per = [[] for _ in self.users]
        for i, s in enumerate(seqs):
            per[i % len(self.users)].append(s)
        c0 = cpu_s(self.maap.pid)
        b0 = cpu_s(self.bridge.pid)
        p0 = cpu_s(self.prosody.proc.pid)
        t_first = time.time()
        futs = []
        for u, mine in zip(self.users, per):
            async def go(xmpp=u._xmpp, mine=mine):
                for j in range(0, len(mine), 50):
                    chunk = mine[j:j + 50]
                    now = time.time()
                    for s in chunk:
                        self.sent_at[s] = now
                    xmpp.send_raw("".join(self.stanza(s) for s in chunk))
                    await asyncio.sleep(0)
            futs.append(asyncio.run_coroutine_threadsafe(go(), u._loop))
        for f in futs:
            f.result(120)
        t_sent = time.time()
        r = self.collect("bridged", BOT, seqs, t_first, t_sent, c0)
        r["bridge_cpu_s"] = round(cpu_s(self.bridge.pid) - b0, 2)
        r["prosody_cpu_s"] = round(cpu_s(self.prosody.proc.pid) - p0, 2)
        return r

    def bridge_latency(self, n: int, rate: float) -> dict:
        u = self.users[0]
        seqs = []

        async def go():
            loop = asyncio.get_running_loop()
            t0 = loop.time() + 0.05
            for i in range(n):
                d = t0 + i / rate - loop.time()
                if d > 0:
                    await asyncio.sleep(d)
                s = self.next_seq()
                seqs.append(s)
                self.sent_at[s] = time.time()
                u._xmpp.send_raw(self.stanza(s))
        asyncio.run_coroutine_threadsafe(go(), u._loop).result(n / rate + 60)
        rec = self.wait_recorded(BOT, seqs, 60)
        return self.latencies(seqs, rec, [])

    # -- shared -------------------------------------------------------------------------------

    def collect(self, label, bot, seqs, t_first, t_sent, c0, errors=()) -> dict:
        rec = self.wait_recorded(bot, seqs, self.a.timeout)
        settle_s = self.settle(self.a.timeout)
        c1 = cpu_s(self.maap.pid)
        rec = {s: r for s, r in self.records(bot).items() if s in set(seqs)}
        acc = [r["accepted"] for r in rec.values()]
        dlv = [r["delivered"] for r in rec.values() if r["delivered"] is not None]
        n = len(seqs)
        last_acc = max(acc) if acc else float("nan")
        out = {"n": n, "recorded": len(rec), "lost": n - len(rec), "send_errors": list(errors),
               "statuses": {s: sum(1 for r in rec.values() if r["status"] == s)
                            for s in sorted({r["status"] for r in rec.values()})},
               "hand_off_s": round(t_sent - t_first, 3),
               "wall_s": round(last_acc - t_first, 3),
               "msgs_per_s": round(len(rec) / (last_acc - t_first), 1) if acc else None,
               "msgs_per_s_to_delivered": round(len(dlv) / (max(dlv) - t_first), 1) if dlv else None,
               "latency_under_load_ms": summary_ms([rec[s]["accepted"] - self.sent_at[s] for s in rec]),
               "settle_s_after_last_record": round(settle_s, 2),
               "platform_cpu_s": round(c1 - c0, 2)}
        log(label, json.dumps(out))
        return out

    def latencies(self, seqs, rec, errors) -> dict:
        acc = [rec[s]["accepted"] - self.sent_at[s] for s in seqs if s in rec]
        dlv = [rec[s]["delivered"] - self.sent_at[s] for s in seqs if s in rec and rec[s]["delivered"]]
        return {"n": len(seqs), "recorded": len(rec), "send_errors": errors,
                "to_accepted_ms": summary_ms(acc), "to_delivered_ms": summary_ms(dlv) if dlv else None}

    # -- run -------------------------------------------------------------------------------

    def run(self) -> dict:
        a = self.a
        self.start()
        log("warm-up")
        self.bridge_warmup()
        for s in range(len(self.phones)):   # the reference bot writes to each phone once too
            self.ref_latency(1, 100)
        self.settle()
        self.res["throughput"] = {}
        self.res["latency"] = {}
        for rep in range(a.repeat):         # interleaved, so that both see the same machine
            log(f"throughput, repeat {rep + 1}: reference")
            self.res["throughput"].setdefault("reference", []).append(self.ref_throughput(a.messages))
            log(f"throughput, repeat {rep + 1}: bridged")
            self.res["throughput"].setdefault("bridged", []).append(self.bridge_throughput(a.messages))
        log(f"latency at {a.rate:g} msg/s: reference")
        self.res["latency"]["reference"] = self.ref_latency(a.latency, a.rate)
        self.settle()
        log(f"latency at {a.rate:g} msg/s: bridged")
        self.res["latency"]["bridged"] = self.bridge_latency(a.latency, a.rate)
        self.settle()
        m = self.bridge.metrics()
        self.res["bridge_metrics"] = {f"{k[0]}{{{','.join(f'{a}={b}' for a, b in sorted(k[1]))}}}": v
                                      for k, v in m.items() if "rcs" in k[0] or "deliver" in k[0]}
        return self.res


def machine() -> dict:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    prosody = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "prosody"], capture_output=True,
                             text=True).stdout.strip()
    binary = os.environ.get("PASSERELLE_BIN") or str(ROOT / "build/default/bridge/app/passerelle")
    try:
        built = datetime.datetime.fromtimestamp(os.stat(binary).st_mtime, datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M UTC")
    except OSError:
        built = "?"
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--short", "--untracked-files=no", "--", ".",
                            ":!bench"], capture_output=True, text=True).stdout.splitlines()
    return {"nproc": os.cpu_count(), "model": model, "kernel": os.uname().release, "commit": commit,
            "dirty": [x[3:] for x in dirty if x.strip()],
            "binary": binary, "binary_built": built, "prosody": prosody, "python": sys.version.split()[0]}


def log_digest(bridge_dir: Path) -> dict:
    """Warning and error lines of the daemon, numbers blanked, counted."""
    lines: dict[str, int] = {}
    for p in sorted(bridge_dir.glob("passerelle.*.log")):
        for line in p.read_text(errors="replace").splitlines():
            if not line.strip():
                continue
            key = re.sub(r"\d+", "N", line)[:200]
            lines[key] = lines.get(key, 0) + 1
    return lines


def med(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(x, d=1):
    return "n/a" if x is None else f"{x:,.{d}f}"


def report(res: dict, cmd: str) -> str:
    mc, a = res["machine"], res["args"]
    tr, tb = res["throughput"]["reference"], res["throughput"]["bridged"]
    lr, lb = res["latency"]["reference"], res["latency"]["bridged"]
    rr, rb = med(tr, "msgs_per_s"), med(tb, "msgs_per_s")
    rdr, rdb = med(tr, "msgs_per_s_to_delivered"), med(tb, "msgs_per_s_to_delivered")
    la, lba = lr["to_accepted_ms"], lb["to_accepted_ms"]
    added = {k: round(lba[k] - la[k], 2) for k in ("p50", "p90", "p99")}
    lost_b = sum(r["lost"] for r in tb)
    lost_r = sum(r["lost"] for r in tr)
    out = [BEGIN, f"## RCS text messages through the bridge ({res['date']})", "",
           f"    {cmd}", "",
           f"Machine: {mc['nproc']} CPUs ({mc['model']}), Linux {mc['kernel']}; shared and noisy. Load average "
           f"at the start {' '.join(f'{x:.2f}' for x in res['load_start'])}, at the end "
           f"{' '.join(f'{x:.2f}' for x in res['load_end'])}. Binary {mc['binary_built']} (HEAD {mc['commit']}"
           f"{'; uncommitted changes outside bench/ in the tree: ' + ', '.join(mc['dirty']) if mc['dirty'] else ''}), "
           f"Prosody {mc['prosody']}, Python {mc['python']} (MaaP test server, senders).", "",
           f"Setup: one MaaP platform (tests/peers/rcs, plain HTTP, log level WARNING, sent_delay 10 ms, "
           f"delivery_delay 50 ms: the platform's defaults), {a['phones']} phones, all online and RCS-capable. "
           f"Reference: bot-ref, {a['connections']} keep-alive HTTP/1.1 connections from this process, one thread "
           f"each, each POST waiting for its 202. Bridged: bot-a is passerelle (log level warn, SQLite defaults, "
           f"`max_connections = {a['connections']}`); {a['users']} slixmpp users write pre-built stanzas in "
           f"bulk to `+336110xxxxx@rcs.example.org`. Each phone got one message through the bridge before the "
           f"runs (capabilities cached). Both bots get the platform's `sent` and `delivered` status webhooks "
           f"(bot-ref's: a Python HTTP server answering 200 at once; bot-a's: the bridge, which stores them as "
           f"delivery reports). Time of a message = the platform's own record of its acceptance (the `pending` "
           f"entry of its status history from the control command `sent`, wall clock, truncated to 1 ms: the "
           f"middle of that millisecond is used); "
           f"msgs/s = messages / (last acceptance - first send); {a['repeat']} repeat(s), interleaved, medians.",
           "",
           "| | reference (direct chatbot client) | through passerelle | bridge / reference |",
           "|---|---|---|---|",
           f"| throughput, {a['messages']} messages, msgs/s (to acceptance) | {fmt(rr)} | {fmt(rb)} | "
           f"{fmt(rb / rr if rr and rb else None, 2)} |",
           f"| throughput to the last `delivered`, msgs/s | {fmt(rdr)} | {fmt(rdb)} | "
           f"{fmt(rdb / rdr if rdr and rdb else None, 2)} |",
           f"| runs (msgs/s each) | {', '.join(fmt(r['msgs_per_s']) for r in tr)} | "
           f"{', '.join(fmt(r['msgs_per_s']) for r in tb)} | |",
           f"| platform CPU per message (ms) | {fmt(1000 * med(tr, 'platform_cpu_s') / a['messages'], 2)} | "
           f"{fmt(1000 * med(tb, 'platform_cpu_s') / a['messages'], 2)} | |",
           f"| passerelle CPU per message (ms) | | {fmt(1000 * med(tb, 'bridge_cpu_s') / a['messages'], 2)} | |",
           f"| lost (not recorded by the platform) | {lost_r} | {lost_b} | |",
           f"| latency at {a['rate']:g} msg/s, send -> accepted, p50 / p90 / p99 ms ({a['latency']} msgs) | "
           f"{la['p50']} / {la['p90']} / {la['p99']} | {lba['p50']} / {lba['p90']} / {lba['p99']} | |",
           f"| **added by the bridge** (bridged - reference), p50 / p90 / p99 ms | | "
           f"**{added['p50']} / {added['p90']} / {added['p99']}** | |",
           f"| latency send -> delivered, p50 / p99 ms | {lr['to_delivered_ms']['p50']} / "
           f"{lr['to_delivered_ms']['p99']} | {lb['to_delivered_ms']['p50']} / {lb['to_delivered_ms']['p99']} | |",
           f"| latency under the throughput load, send -> accepted, p50 / p99 ms (first run) | "
           f"{tr[0]['latency_under_load_ms']['p50']} / {tr[0]['latency_under_load_ms']['p99']} | "
           f"{tb[0]['latency_under_load_ms']['p50']} / {tb[0]['latency_under_load_ms']['p99']} | |",
           ""]
    digest = res.get("bridge_log", {})
    if digest:
        out.append("What the daemon logged (level warn; numbers blanked, count):")
        out.append("")
        for k, v in sorted(digest.items(), key=lambda kv: -kv[1])[:15]:
            out.append(f"    {v} x {k}")
        out.append("")
    else:
        out.append("The daemon logged nothing at level warn during the run.")
        out.append("")
    out.append(f"Exit code of the daemon after SIGTERM: {res.get('bridge_exit_code')}. Raw figures: "
               f"bench/rcs/last_run.json.")
    out.append("")
    note = res.get("note")
    out.append(note.strip() if note else "(No reading written for this run: `--note FILE` adds one.)")
    out.append("")
    out.append(END)
    return "\n".join(out)


def write_results(section: str) -> None:
    path = ROOT / "bench" / "RESULTS.md"
    text_ = path.read_text()
    if BEGIN in text_ and END in text_:
        pre, rest = text_.split(BEGIN, 1)
        post = rest.split(END, 1)[1].lstrip("\n")
        text_ = pre + section + ("\n" + post if post else "\n")
    else:
        text_ = text_.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text_)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=2000, help="messages per throughput run (default 2000)")
    ap.add_argument("--phones", type=int, default=20, help="phones on the platform (default 20)")
    ap.add_argument("--users", type=int, default=4, help="XMPP users sending (default 4)")
    ap.add_argument("--connections", type=int, default=4,
                    help="HTTP connections: the reference client's and the bridge's max_connections (default 4)")
    ap.add_argument("--repeat", type=int, default=2, help="throughput runs per path, interleaved (default 2)")
    ap.add_argument("--latency", type=int, default=200, help="messages per latency run (default 200)")
    ap.add_argument("--rate", type=float, default=20.0, help="pace of the latency runs, msg/s (default 20)")
    ap.add_argument("--timeout", type=float, default=120.0, help="wait for the platform's records, s")
    ap.add_argument("--note", help="a file whose text is added to the RESULTS.md section as the reading of the run")
    ap.add_argument("--rewrite", action="store_true",
                    help="run nothing: render the section again from bench/rcs/last_run.json (with --note)")
    ap.add_argument("--no-write", action="store_true", help="write neither last_run.json nor RESULTS.md")
    args = ap.parse_args()
    cmd = "PASSERELLE_BIN=" + os.environ.get("PASSERELLE_BIN", "<unset>").replace(str(ROOT), "$PWD") + \
        " /usr/bin/python3 " + " ".join(shlex.quote(x) for x in ["bench/rcs/text_bench.py", *sys.argv[1:]])
    if args.rewrite:
        res = json.loads((HERE / "last_run.json").read_text())
        if args.note:
            res["note"] = Path(args.note).read_text()
        section = report(res, res["command"])
        print(section)
        if not args.no_write:
            (HERE / "last_run.json").write_text(json.dumps(res, indent=1) + "\n")
            write_results(section)
        return 0
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "command": cmd, "args": vars(args), "machine": machine(), "load_start": list(os.getloadavg())}
    b = Bench(args)
    t0 = time.monotonic()
    try:
        res.update(b.run())
    finally:
        b.stop()
        res.update({k: v for k, v in b.res.items() if k == "bridge_exit_code"})
    res["bridge_log"] = log_digest(b.tmp / "passerelle")
    res["load_end"] = list(os.getloadavg())
    res["duration_s"] = round(time.monotonic() - t0, 1)
    if args.note:
        res["note"] = Path(args.note).read_text()
    section = report(res, cmd)
    print(section)
    if not args.no_write:
        (HERE / "last_run.json").write_text(json.dumps(res, indent=1) + "\n")
        write_results(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
