#!/usr/bin/python3
"""Messages per second through an MSN switchboard, and the latency the bridge adds.

Everything on 127.0.0.1: Prosody (the XMPP user alice), the in-tree MSNP test server
(tests/peers/msn, Python asyncio), the passerelle daemon with alice's linked MSN account
t1e@example.com, and her MSN contact bob (t2e@example.com) driven by the test server's
client. Measured in the same run:

  bridged  XMPP → MSN   alice (slixmpp) → Prosody → passerelle → switchboard → bob
  bridged  MSN → XMPP   bob → switchboard → passerelle → Prosody → alice
  reference MSN → MSN   carol → switchboard → bob (the test server alone)
  reference XMPP → XMPP dave (slixmpp) → Prosody → alice (Prosody alone)

Throughput: N messages sent back to back, time until the last one arrived. Latency: one
message at a time, send to arrival, median and p95 over M. The bridge's added latency is
bridged − (MSN reference + XMPP reference): both hops the bridged path also crosses.

    PASSERELLE_BIN=$PWD/build/<dir>/bridge/app/passerelle /usr/bin/python3 bench/msn/switchboard_bench.py
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT))

from lib import procs  # noqa: E402
from lib.bridge import Bridge  # noqa: E402
from lib.msn_peer import MsnContact, MsnServer  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402

DOMAIN = "example.org"
ACCOUNT, BOB, CAROL = "t1e@example.com", "t2e@example.com", "t3e@example.com"
BOB_JID = "t2e\\40example.com@msn." + DOMAIN


def summary(samples):
    s = sorted(samples)
    return {"median_ms": round(statistics.median(s) * 1000, 2),
            "p95_ms": round(s[int(len(s) * 0.95) - 1] * 1000, 2), "n": len(s)}


def wait_count(fn, n, timeout=120):
    deadline = time.monotonic() + timeout
    while fn() < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{fn()} of {n}")
        time.sleep(0.002)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=500, help="messages per throughput run")
    ap.add_argument("--latency", type=int, default=50, help="messages per latency run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-msn-sb-"))
    out = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "machine": platform.machine(),
           "cpus": os.cpu_count(), "load": os.getloadavg()[0], "count": args.count}
    prosody = Prosody(tmp, domain=DOMAIN, networks=("msn",), secret="s")
    prosody.write_config()
    prosody.register("alice", "pw")
    prosody.register("dave", "pw")
    prosody.start()
    (tmp / "msn").mkdir()
    srv = MsnServer(extra_args=["--sb-idle-timeout", "600"], workdir=str(tmp / "msn"), log_level="WARNING").start()
    contacts = []
    bridge = None
    try:
        for email, name in ((ACCOUNT, "Alice"), (BOB, "Bob"), (CAROL, "Carol")):
            srv.add_account(email, "123456", name)
        for a, b_ in ((ACCOUNT, BOB), (BOB, ACCOUNT), (CAROL, BOB), (BOB, CAROL)):
            srv.check("add_contact", owner=a, contact=b_, lists=["FL", "AL"])
        bridge = Bridge(tmp, {
            "log": {"level": "info"},
            "xmpp": {"enabled": True, "component_host": "127.0.0.1", "component_port": prosody.component_port,
                     "secret": "s", "networks": ["msn"]},
            "msn": {"enabled": True, "port": srv.ns_port, "switchboard_idle_s": 600,
                    "login_url": f"http://127.0.0.1:{srv.login_port}/rdr/pprdr.asp",
                    "accounts": [{"login": ACCOUNT, "password": "123456", "person": "alice"}]},
            "people": [{"name": "alice", "phone": "+33611111111", "addresses": [f"xmpp:alice@{DOMAIN}"]}]})
        bridge.start(wait_ready=True)
        alice = XmppUser(f"alice@{DOMAIN}", "pw", prosody.c2s_port).start()
        dave = XmppUser(f"dave@{DOMAIN}", "pw", prosody.c2s_port).start()
        bob = MsnContact(srv, BOB).login()
        carol = MsnContact(srv, CAROL).login()
        contacts += [bob, carol]

        def alice_count(prefix):
            return sum(1 for m in alice.messages() if m.body and m.body.startswith(prefix))

        # --- XMPP → MSN through the bridge
        alice.send_message(BOB_JID, "warm-up")
        rng = bob.run(bob.client.wait_ring(ACCOUNT, timeout=15))
        sb_b = bob.run(bob.client.answer(rng))
        bob.run(sb_b.next_text())
        lat = []
        for i in range(args.latency):
            t0 = time.monotonic()
            alice.send_message(BOB_JID, f"lat {i}")
            bob.run(sb_b.next_text())
            lat.append(time.monotonic() - t0)
        out["bridged_xmpp_to_msn_latency"] = summary(lat)
        t0 = time.monotonic()
        for i in range(args.count):
            alice.send_message(BOB_JID, f"tp {i}")
        for i in range(args.count):
            bob.run(sb_b.next_text(timeout=120), timeout=130)
        dt = time.monotonic() - t0
        out["bridged_xmpp_to_msn_msgs_per_s"] = round(args.count / dt, 1)

        # --- MSN → XMPP through the bridge (bob writes on the same switchboard)
        lat = []
        for i in range(args.latency):
            t0 = time.monotonic()
            bob.run(sb_b.send_text(f"blat {i}", ack="N"))
            wait_count(lambda: alice_count(f"blat {i}"), 1)
            lat.append(time.monotonic() - t0)
        out["bridged_msn_to_xmpp_latency"] = summary(lat)
        t0 = time.monotonic()
        for i in range(args.count):
            bob.run(sb_b.send_text(f"btp {i}", ack="N"))
        wait_count(lambda: alice_count("btp "), args.count)
        out["bridged_msn_to_xmpp_msgs_per_s"] = round(args.count / (time.monotonic() - t0), 1)

        # --- reference: MSN → MSN on the test server alone
        sb_c = carol.run(carol.client.open_switchboard(BOB, wait_join=False))
        rng = bob.run(bob.client.wait_ring(CAROL, timeout=15))
        sb_bc = bob.run(bob.client.answer(rng))
        carol.run(sb_c.wait_join(BOB))
        lat = []
        for i in range(args.latency):
            t0 = time.monotonic()
            carol.run(sb_c.send_text(f"clat {i}", ack="N"))
            bob.run(sb_bc.next_text())
            lat.append(time.monotonic() - t0)
        out["reference_msn_to_msn_latency"] = summary(lat)
        t0 = time.monotonic()
        for i in range(args.count):
            carol.run(sb_c.send_text(f"ctp {i}", ack="N"))
        for i in range(args.count):
            bob.run(sb_bc.next_text(timeout=120), timeout=130)
        out["reference_msn_to_msn_msgs_per_s"] = round(args.count / (time.monotonic() - t0), 1)

        # --- reference: XMPP → XMPP on Prosody alone
        lat = []
        for i in range(args.latency):
            t0 = time.monotonic()
            dave.send_message(f"alice@{DOMAIN}", f"dlat {i}")
            wait_count(lambda: alice_count(f"dlat {i}"), 1)
            lat.append(time.monotonic() - t0)
        out["reference_xmpp_to_xmpp_latency"] = summary(lat)
        t0 = time.monotonic()
        for i in range(args.count):
            dave.send_message(f"alice@{DOMAIN}", f"dtp {i}")
        wait_count(lambda: alice_count("dtp "), args.count)
        out["reference_xmpp_to_xmpp_msgs_per_s"] = round(args.count / (time.monotonic() - t0), 1)

        ref = out["reference_msn_to_msn_latency"]["median_ms"] + out["reference_xmpp_to_xmpp_latency"]["median_ms"]
        out["added_latency_xmpp_to_msn_ms"] = round(out["bridged_xmpp_to_msn_latency"]["median_ms"] - ref, 2)
        out["added_latency_msn_to_xmpp_ms"] = round(out["bridged_msn_to_xmpp_latency"]["median_ms"] - ref, 2)
        alice.stop()
        dave.stop()
    finally:
        for c in contacts:
            c.stop()
        if bridge is not None:
            bridge.stop()
        srv.stop()
        prosody.stop()
        procs.stop_all()
    print(json.dumps(out, indent=2))
    (HERE / "last_run.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
