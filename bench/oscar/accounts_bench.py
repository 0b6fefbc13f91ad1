#!/usr/bin/python3
"""Many linked AIM accounts on one daemon: resident memory per account and the time to
sign them all on with login pacing (oscar.login_interval_ms), against the in-tree OSCAR
test server on 127.0.0.1 (plain TCP: no TLS). Each account does the whole OSCAR
sign-on: BUCP MD5 login at the authorizer, redirect to BOS, versions, rate classes,
rights, ICBM parameters, feedbag query + activate, client online.

Memory per account = (VmRSS with N accounts signed on − VmRSS of the same daemon with the
OSCAR connector and no account) / N, both read from /proc/<pid>/status once the accounts
are up (or at once for the reference) and after 2 s of quiet.

    PASSERELLE_BIN=$PWD/build/<dir>/bridge/app/passerelle \\
        /usr/bin/python3 bench/oscar/accounts_bench.py --accounts 1000 --interval-ms 10
"""

from __future__ import annotations

import argparse
import json
import os
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
from lib.oscar_peer import OscarServerProc  # noqa: E402


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def run_daemon(tmp: Path, srv, accounts: list[str], interval_ms: int, timeout: float):
    tmp.mkdir(parents=True, exist_ok=True)
    b = Bridge(tmp, {
        "log": {"level": "warn"},
        "oscar": {"enabled": True, "port": srv.auth_port, "login_interval_ms": interval_ms,
                  "accounts": [{"network": "aim", "login": a, "password": "benchpw",
                                "person": "bench"} for a in accounts]},
        "people": [{"name": "bench", "phone": "+33611111111", "addresses": ["xmpp:bench@example.org"]}]})
    t0 = time.monotonic()
    b.start()
    up_s = None
    if accounts:
        def up():
            for c in b.get_json("/readyz")["connectors"]:
                if c["name"] == "oscar":
                    return c["state"] == "up"
            return False
        procs.wait_until(up, timeout=timeout, interval=0.1, message="every OSCAR account up")
        up_s = time.monotonic() - t0
    time.sleep(2)
    return b, rss_kib(b.pid), up_s


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=1000)
    ap.add_argument("--interval-ms", type=int, default=10)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-oscar-accounts-"))
    names = [f"bench{i:05d}" for i in range(args.accounts)]
    cfg = tmp / "oscar-accounts.json"
    cfg.write_text(json.dumps({"accounts": [{"screen_name": n, "password": "benchpw"} for n in names]}))
    srv = OscarServerProc(tmp / "oscar", extra_args=["--config", str(cfg), "--log-level", "WARNING"]).start()
    out = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
           "load": os.getloadavg()[0], "accounts": args.accounts, "login_interval_ms": args.interval_ms}
    try:
        ref, rss0, _ = run_daemon(tmp / "ref", srv, [], args.interval_ms, 60)
        ref.stop()
        b, rss, up_s = run_daemon(tmp / "run", srv, names, args.interval_ms,
                                  60 + args.accounts * args.interval_ms / 1000 * 3)
        online = len(srv.control("online")["online"])
        b.stop()
        out.update({"rss_reference_kib": rss0, "rss_kib": rss,
                    "kib_per_account": round((rss - rss0) / args.accounts, 1),
                    "all_up_s": round(up_s, 2), "pacing_floor_s": args.accounts * args.interval_ms / 1000,
                    "bos_sessions_on_server": online})
    finally:
        srv.stop()
        procs.stop_all()
    print(json.dumps(out, indent=2))
    (HERE / "last_accounts_run.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
