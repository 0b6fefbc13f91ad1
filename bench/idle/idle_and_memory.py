#!/usr/bin/python3
"""Idle CPU and resident memory of the daemon, with Prosody measured in the same run as
the reference.

  /usr/bin/python3 bench/idle/idle_and_memory.py [--seconds 30] [--people 10000]

The bridge runs connected to a Prosody (component sms.example.org) and an SMSC
simulator, as in the integration tests, then sits idle for --seconds. CPU is utime+stime
from /proc/<pid>/stat; memory is VmRSS from /proc/<pid>/status. It is then stopped,
--people people (each with an address and a phone) are written to its store, and it is
started again to measure the resident memory with them loaded.
"""

import argparse
import os
import sqlite3
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))

from lib.bridge import Bridge, smsc_table  # noqa: E402
from lib.procs import wait_until  # noqa: E402
from lib.smsc import Smsc  # noqa: E402
from lib.xmpp_peer import Prosody  # noqa: E402
import tempfile  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle(pid, seconds):
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--people", type=int, default=10000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="passerelle-idle-")
    prosody = Prosody(tmp, secret="s")
    prosody.start()
    smsc = Smsc(tmp, receipts=True)
    smsc.start()
    config = {
        "log": {"level": "warn"},
        "xmpp": {"enabled": True, "component_port": prosody.component_port, "secret": "s", "networks": ["sms"]},
        "sms": {"enabled": True, "sender_numbers": ["+33700000001"], "smsc": [smsc_table("primary", smsc.port)]},
    }
    bridge = Bridge(tmp, config)
    try:
        bridge.start()
        wait_until(lambda: bridge.get_json("/readyz").get("ready"), timeout=20, message="links up")
        time.sleep(2)
        pid, ppid = bridge.pid, prosody.proc.pid
        c0b, c0p, t0 = cpu_seconds(pid), cpu_seconds(ppid), time.monotonic()
        time.sleep(args.seconds)
        wall = time.monotonic() - t0
        bridge_cpu = (cpu_seconds(pid) - c0b) / wall
        prosody_cpu = (cpu_seconds(ppid) - c0p) / wall
        rss_idle, rss_prosody = rss_kib(pid), rss_kib(ppid)
        bridge.sigterm()

        db = sqlite3.connect(os.path.join(bridge.data_dir, "passerelle.db"))
        now = int(time.time() * 1000)
        with db:
            db.executemany("INSERT INTO people(name, phone, sms_fallback, monthly_cap, source, updated_ms) "
                           "VALUES (?,?,1,1000,'registration',?)",
                           [(f"xmpp:user{i}@example.org", f"+3361{i:07d}", now) for i in range(args.people)])
            db.executemany("INSERT INTO person_addresses(address, person) VALUES (?,?)",
                           [(f"xmpp:user{i}@example.org", f"xmpp:user{i}@example.org") for i in range(args.people)])
        db.close()
        bridge.start()
        wait_until(lambda: bridge.get_json("/readyz").get("ready"), timeout=30, message="links up")
        time.sleep(2)
        rss_people = rss_kib(bridge.pid)
    finally:
        bridge.stop()
        smsc.stop()
        prosody.stop()

    print(f"idle {args.seconds:g} s, links up (XMPP component + SMPP transceiver bound)")
    print(f"  passerelle CPU: {bridge_cpu * 100:.3f} % of a core   RSS {rss_idle / 1024:.1f} MiB")
    print(f"  prosody    CPU: {prosody_cpu * 100:.3f} % of a core   RSS {rss_prosody / 1024:.1f} MiB (reference)")
    cpu_ratio = f"{bridge_cpu / prosody_cpu:.2f}" if prosody_cpu > 0 else "n/a (Prosody used no measurable CPU)"
    print(f"  ratio passerelle/prosody: CPU {cpu_ratio}, RSS {rss_idle / rss_prosody:.2f}")
    print(f"with {args.people} people in the store: passerelle RSS {rss_people / 1024:.1f} MiB "
          f"(+{(rss_people - rss_idle) / 1024:.1f} MiB, {(rss_people - rss_idle) * 1024 / max(1, args.people):.0f} B/person)")


if __name__ == "__main__":
    main()
