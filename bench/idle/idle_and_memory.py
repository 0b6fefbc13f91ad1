#!/usr/bin/python3
"""Idle CPU and resident memory of the daemon, with Prosody measured in the same run as
the reference.

  PASSERELLE_BIN=<build>/bridge/app/passerelle \
  /usr/bin/python3 bench/idle/idle_and_memory.py [--seconds 30] [--people 10000] [--latency 20]

The bridge runs connected to a Prosody (component sms.example.org) and an SMSC
simulator, as in the integration tests, then sits idle for --seconds. CPU is utime+stime
from /proc/<pid>/stat; memory is VmRSS from /proc/<pid>/status. Wake-ups are the
voluntary context switches of each thread over the same window
(/proc/<pid>/task/<tid>/status): a thread sleeping in poll/epoll counts one per wake-up.
Threads are named where the daemon names them (the XMPP connector's thread is "xmpp").

Then --latency samples of an idle core -> XMPP message: the SMSC simulator delivers a
mobile-originated SMS (deliver_sm) from a phone that alice@example.org wrote to, and
the time until alice's slixmpp client receives it is measured (end to end: SMPP, the
store commit, routing, the XMPP connector, Prosody). Samples are 0.6-1.2 s apart so that
every one starts from an idle daemon.

It is then stopped, --people people (each with an address and a phone) are written to
its store, and it is started again to measure the resident memory with them loaded.
"""

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))

from lib.bridge import Bridge, smsc_table  # noqa: E402
from lib.procs import wait_until  # noqa: E402
from lib.smsc import Smsc  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402
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


def threads(pid):
    """{tid: (name, voluntary, involuntary context switches, CPU seconds)} of every thread."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            vol = invol = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("voluntary_ctxt_switches:"):
                        vol = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        invol = int(line.split()[1])
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[int(tid)] = (name, vol, invol, (int(fields[11]) + int(fields[12])) / TICK)
        except FileNotFoundError:
            pass  # the thread ended
    return out


def wakeups(before, after, wall):
    """[(name, tid, voluntary/s, involuntary/s, CPU share)] for threads alive over the
    whole window."""
    rows = []
    for tid, (name, v1, i1, c1) in after.items():
        if tid in before:
            _, v0, i0, c0 = before[tid]
            rows.append((name, tid, (v1 - v0) / wall, (i1 - i0) / wall, (c1 - c0) / wall))
    return sorted(rows, key=lambda r: -r[2])


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--people", type=int, default=10000)
    ap.add_argument("--latency", type=int, default=20, help="idle SMS -> XMPP samples (0: none)")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="passerelle-idle-")
    prosody = Prosody(tmp, secret="s")
    prosody.write_config()
    prosody.register("alice", "alice-pw")
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
        th0 = threads(pid)
        c0b, c0p, t0 = cpu_seconds(pid), cpu_seconds(ppid), time.monotonic()
        time.sleep(args.seconds)
        wall = time.monotonic() - t0
        bridge_cpu = (cpu_seconds(pid) - c0b) / wall
        prosody_cpu = (cpu_seconds(ppid) - c0p) / wall
        per_thread = wakeups(th0, threads(pid), wall)
        rss_idle, rss_prosody = rss_kib(pid), rss_kib(ppid)

        latencies = []
        if args.latency > 0:
            phone, sender = "+33611111111", "+33700000001"
            alice = XmppUser("alice@example.org", "alice-pw", prosody.c2s_port)
            alice.start()
            try:
                # alice writes first: the phone's answers thread back to her.
                alice.send_message(f"{phone}@sms.example.org", "hello")
                smsc.wait_for_messages(1, timeout=20)
                for i in range(args.latency):
                    time.sleep(random.uniform(0.6, 1.2))
                    text = f"idle sample {i}"
                    t_mo = time.monotonic()
                    answer = smsc.mo(phone, sender, text)
                    if not answer.get("ok"):
                        raise RuntimeError(f"deliver_sm refused: {answer}")
                    msg = alice.wait_message(lambda s, text=text: s.body == text, timeout=20)
                    latencies.append((msg.at - t_mo) * 1000)
            finally:
                alice.stop()
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
    print("  passerelle threads over the idle window: wake-ups/s (voluntary context switches; "
          "involuntary in brackets), CPU:")
    for name, tid, vol, invol, cpu in per_thread:
        print(f"    {name:<16} tid {tid:<8} {vol:8.2f}/s  ({invol:.2f}/s)  {cpu * 100:.3f} %")
    print(f"    total{'':<24} {sum(r[2] for r in per_thread):8.2f}/s")
    if latencies:
        print(f"idle SMS -> XMPP (deliver_sm sent -> alice's client has it), {len(latencies)} samples, ms: "
              f"min {min(latencies):.1f}  p50 {statistics.median(latencies):.1f}  "
              f"p90 {percentile(latencies, 0.9):.1f}  max {max(latencies):.1f}  "
              f"mean {statistics.mean(latencies):.1f}")
    print(f"with {args.people} people in the store: passerelle RSS {rss_people / 1024:.1f} MiB "
          f"(+{(rss_people - rss_idle) / 1024:.1f} MiB, {(rss_people - rss_idle) * 1024 / max(1, args.people):.0f} B/person)")


if __name__ == "__main__":
    main()
