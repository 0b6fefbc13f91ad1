#!/usr/bin/python3
"""Messages per second through the OSCAR connector, and the latency it adds, with the
in-tree OSCAR test server and Prosody on 127.0.0.1 (as in the integration tests).

  XMPP → AIM   alice (slixmpp) writes N messages to bobsn@aim.example.org; the bridge
               sends them over her linked AIM account; timed until bob's OSCAR client
               has all N.
  AIM → XMPP   bob sends N messages to alice's AIM account; timed until alice's
               slixmpp client has all N (the bridge commits each to its store first).
  reference    in the same run, another OSCAR client sends N messages straight to bob
               through the same server: the ceiling the server and the Python clients
               set, without the bridge.
  latency      median of --samples single messages, one at a time: XMPP → AIM through
               the bridge, and the reference client → bob directly.

The ICBM rate class is opened wide for the run (window 1000, max 10^9), so that the
server's rate limit, which the connector honours, does not set the figure.

    PASSERELLE_BIN=$PWD/build/<dir>/bridge/app/passerelle \\
        /usr/bin/python3 bench/oscar/messages_bench.py --messages 1000
"""

from __future__ import annotations

import argparse
import json
import os
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
from lib.oscar_peer import OscarServerProc, OscarUser  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402

DOMAIN = "example.org"
BOB_JID = f"bobsn@aim.{DOMAIN}"


def wait_ims(user: OscarUser, sender: str, n: int, timeout: float) -> None:
    async def go():
        await user.client.wait_for(
            lambda: sum(1 for im in user.client.ims if im.sender.lower() == sender) >= n or None,
            timeout, f"{n} IMs from {sender}")
        user.client.ims.clear()
    user.run(go(), timeout + 5)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=30)
    args = ap.parse_args()
    n = args.messages
    tmp = Path(tempfile.mkdtemp(prefix="bench-oscar-messages-"))
    out = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
           "load": os.getloadavg()[0], "messages": n}
    prosody = Prosody(tmp, domain=DOMAIN, networks=("aim",), secret="s")
    prosody.write_config()
    prosody.register("alice", "pw")
    prosody.start()
    srv = OscarServerProc(tmp / "oscar", accounts=[("alicesn", "pw"), ("bobsn", "pw"), ("refsn", "pw")],
                          extra_args=["--log-level", "WARNING"]).start()
    users = []
    b = None
    try:
        srv.control("set_rate_class", class_id=3, window=1000, clear=2, alert=1, limit=1, disconnect=0,
                    max=1_000_000_000, reset=True)
        b = Bridge(tmp / "bridge", {
            "log": {"level": "warn"},
            "xmpp": {"enabled": True, "component_host": "127.0.0.1", "component_port": prosody.component_port,
                     "secret": "s", "networks": ["aim"]},
            "oscar": {"enabled": True, "port": srv.auth_port,
                      "accounts": [{"network": "aim", "login": "alicesn", "password": "pw", "person": "alice"}]},
            "people": [{"name": "alice", "phone": "+33611111111", "addresses": [f"xmpp:alice@{DOMAIN}"]}]})
        b.start()
        procs.wait_until(lambda: all(c["state"] == "up" for c in b.get_json("/readyz")["connectors"]),
                         timeout=30, message="bridge up")
        alice = XmppUser(f"alice@{DOMAIN}", "pw", prosody.c2s_port)
        alice.start()
        bob = OscarUser(srv, "bobsn", "pw", pace=False).login()
        ref = OscarUser(srv, "refsn", "pw", pace=False).login()
        users += [bob, ref]
        alice.send_raw(f"<presence to='{BOB_JID}'/>")
        time.sleep(1)

        # Warm-up: one message each way.
        alice.send_message(BOB_JID, "warm-up")
        wait_ims(bob, "alicesn", 1, 30)

        # XMPP → AIM.
        t0 = time.monotonic()
        for i in range(n):
            alice.send_message(BOB_JID, f"out {i}")
        wait_ims(bob, "alicesn", n, 300)
        out_s = time.monotonic() - t0

        # Reference: an OSCAR client straight to bob.
        t0 = time.monotonic()
        for i in range(n):
            ref.run(ref.client.send_im("bobsn", f"ref {i}", ack=False))
        wait_ims(bob, "refsn", n, 300)
        ref_s = time.monotonic() - t0

        # AIM → XMPP.
        t0 = time.monotonic()
        for i in range(n):
            bob.run(bob.client.send_im("alicesn", f"in {i}", ack=False))
        last = f"in {n - 1}"
        alice.wait_message(lambda s: s.body == last, timeout=300)
        in_s = time.monotonic() - t0
        got = sum(1 for s in alice.messages() if (s.body or "").startswith("in "))

        # Latency, one message at a time.
        lat_bridge, lat_ref = [], []
        for i in range(args.samples):
            t0 = time.monotonic()
            alice.send_message(BOB_JID, f"lat {i}")
            wait_ims(bob, "alicesn", 1, 30)
            lat_bridge.append((time.monotonic() - t0) * 1000)
            t0 = time.monotonic()
            ref.run(ref.client.send_im("bobsn", f"lat {i}", ack=False))
            wait_ims(bob, "refsn", 1, 30)
            lat_ref.append((time.monotonic() - t0) * 1000)
            time.sleep(0.05)
        warnings = srv.events(["rate_warning", "rate_drop", "rate_disconnect"], user="alicesn")
        out.update({
            "xmpp_to_aim_msgs_per_s": round(n / out_s, 1),
            "reference_oscar_client_msgs_per_s": round(n / ref_s, 1),
            "aim_to_xmpp_msgs_per_s": round(n / in_s, 1),
            "aim_to_xmpp_received": got,
            "latency_xmpp_to_aim_median_ms": round(statistics.median(lat_bridge), 2),
            "latency_reference_median_ms": round(statistics.median(lat_ref), 2),
            "rate_warnings": len(warnings),
        })
        alice.stop()
    finally:
        for u in users:
            u.stop()
        if b is not None:
            b.stop()
        srv.stop()
        prosody.stop()
        procs.stop_all()
    print(json.dumps(out, indent=2))
    (HERE / "last_messages_run.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
