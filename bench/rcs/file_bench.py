#!/usr/bin/python3
"""A 100 MiB file from an RCS phone to an XMPP user through passerelle, against curl
downloading the same file from the same MaaP platform test server, in the same run.

Everything on 127.0.0.1: Prosody (one XMPP user), the in-tree MaaP platform test server
(tests/peers/rcs, one platform "carrier-a", one phone), and the passerelle daemon as bot
"bot-a". The user writes to the phone once, so the phone's files go to that user.

  relayed    phone_send_file (the platform generates the file and sends the chatbot a
             `message` event with its fileUrl) -> passerelle fetches it from the platform
             into [files] dir, checks size and sha256, shares it -> the XMPP user gets a
             XEP-0066 link -> the user downloads the link from passerelle's admin HTTP
             server with curl (to /dev/null; the bytes are checked after, untimed)
  reference  curl -s -o /dev/null of the file's fileUrl on the platform

Figures per run, medians over --repeat runs (reference and relay interleaved):

  - bridge fetch: the platform's own record of the bridge's GET of the file, from its
    `api` event (response head ready, before the body is written) to its
    `file_downloaded` event (body written), wall clock with 1 ms resolution; the
    reference's curl GET is timed the same way (and by curl's own time_total);
  - serving: the user's curl download of the link (curl's time_total), against the
    reference curl from the platform;
  - end to end: from the phone_send_file command to the end of the user's download, and
    from the platform's `phone_message` event (file stored, event queued) to the same end;
  - passerelle's VmRSS sampled every 20 ms from just before phone_send_file to the end of
    the download: peak minus the level before; VmHWM before and after; its CPU time.

    PASSERELLE_BIN=$PWD/build/core/bridge/app/passerelle /usr/bin/python3 bench/rcs/file_bench.py

Prints a section for bench/RESULTS.md; writes nothing in the tree (--json FILE: raw figures).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from lib import procs  # noqa: E402
from lib.bridge import Bridge  # noqa: E402
from lib.memwatch import RssSampler, proc_memory  # noqa: E402
from lib.ports import free_port  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402
from tests.peers.rcs.harness import MaapServerProc, platform  # noqa: E402
from text_bench import cpu_s, log, log_digest, machine  # noqa: E402

DOMAIN = "example.org"
RCS = f"rcs.{DOMAIN}"
SECRET = "component-secret"
PLATFORM = "carrier-a"
BOT, BOT_TOKEN, HOOK_TOKEN = "bot-a", "tok-a", "Bearer hook-a"
PHONE = "+33611000001"
USER = "u0"
MIB = 1024 * 1024
MB = 1e6


def curl(url: str, out: str = "/dev/null", timeout: float = 300.0) -> dict:
    """curl -s -o OUT URL -> {status, size, time_total, time_starttransfer} (seconds)."""
    r = subprocess.run(["curl", "-s", "-o", out, "--max-time", str(int(timeout)), "-w",
                        "%{http_code} %{size_download} %{time_total} %{time_starttransfer}", url],
                       capture_output=True, text=True, timeout=timeout + 10)
    code, size, total, start = r.stdout.split()
    return {"status": int(code), "size": int(size), "time_total": float(total), "time_starttransfer": float(start)}


def curl_sha256(url: str, timeout: float = 300.0) -> str:
    """The sha256 of what curl gets from URL (curl piped into sha256sum, not timed)."""
    p = subprocess.run(f"curl -s --max-time {int(timeout)} {shlex.quote(url)} | sha256sum", shell=True,
                       capture_output=True, text=True, timeout=timeout + 10, check=True)
    return p.stdout.split()[0]


class FileBench:
    def __init__(self, args):
        self.a = args
        self.tmp = Path(tempfile.mkdtemp(prefix="passerelle-file-bench-", dir=os.environ.get("PASSERELLE_TEST_TMP")))
        self.res: dict = {"relay": [], "reference": []}
        self.wall_minus_mono = time.time() - time.monotonic()

    # -- setup -------------------------------------------------------------------------

    def start(self):
        self.webhook_port = free_port()
        hook = f"http://127.0.0.1:{self.webhook_port}/rcs/{PLATFORM}"
        # A generous webhook timeout: the bridge answers the file's event once it has the
        # file; a resend would not change the figures but would blur the record.
        self.maap = MaapServerProc(
            self.tmp,
            platforms=[platform(PLATFORM, BOT, BOT_TOKEN, ["+3361"], webhook=hook, webhook_token=HOOK_TOKEN,
                                max_file_size=max(self.a.size, 100 * MIB),
                                webhook_retry={"initial": 0.5, "factor": 2.0, "max_delay": 2.0,
                                               "max_attempts": 10, "timeout": 120.0})],
            phones=[{"number": PHONE}], extra_args=["--log-level", "WARNING"]).start()
        self.prosody = Prosody(self.tmp, domain=DOMAIN, networks=("rcs",), secret=SECRET,
                               users={USER: f"{USER}-pw"}, log_level="warn")
        self.prosody.start()
        self.bridge = Bridge(self.tmp / "passerelle", {
            "log": {"level": "warn"},
            "xmpp": {"enabled": True, "component_host": "127.0.0.1", "component_port": self.prosody.component_port,
                     "secret": SECRET, "networks": ["rcs"], "reconnect_initial_ms": 200, "reconnect_max_ms": 1000},
            "rcs": {"enabled": True, "webhook_listen": f"127.0.0.1:{self.webhook_port}", "fallback_after_s": 3600,
                    "platform": [{"name": PLATFORM, "api_url": self.maap.api_url(PLATFORM), "bot_id": BOT,
                                  "token": BOT_TOKEN, "webhook_token": HOOK_TOKEN, "ranges": ["+3361"],
                                  "timeout_ms": 10000, "max_file_size": max(self.a.size, 100 * MIB)}]},
        })
        self.bridge.start()

        def up():
            doc = self.bridge.get_json("/readyz")
            return doc.get("ready") and all(c["state"] == "up" for c in doc["connectors"])
        procs.wait_until(up, timeout=30, message="every bridge link up on /readyz")
        self.user = XmppUser(f"{USER}@{DOMAIN}/bench", f"{USER}-pw", self.prosody.c2s_port).start()
        # The conversation: the phone's files go to the last XMPP user who wrote to it.
        self.user.send_message(f"{PHONE}@{RCS}", "send me the file")
        procs.wait_until(lambda: self.maap.control("sent", platform=PLATFORM, number=PHONE)["messages"],
                         timeout=20, message="the first message on the platform")
        self.maap.control("wait_idle", timeout=30)

    def stop(self):
        try:
            self.user.stop()
        except Exception:  # noqa: BLE001
            pass
        for x in ("bridge", "maap", "prosody"):
            obj = getattr(self, x, None)
            if obj is not None:
                rc = obj.stop()
                if x == "bridge":
                    self.res["bridge_exit_code"] = rc
        procs.stop_all()

    # -- the platform's record --------------------------------------------------------------

    def one_event(self, kind: str, since: int, **match) -> dict:
        evs = procs.wait_until(lambda: self.maap.events(kind, since, **match), timeout=self.a.timeout,
                               message=f"no {kind} event matching {match}")
        return evs[-1]

    def fetch_window(self, file_id: str, since: int) -> tuple[dict, dict]:
        """(`api` event of the GET of the file's content, its `file_downloaded` event)."""
        done = self.one_event("file_downloaded", since, file_id=file_id)
        gets = [e for e in self.maap.events("api", since, file_id=file_id, method="GET")
                if e["path"].startswith("/content/") and e["seq"] < done["seq"]]
        return gets[-1], done

    # -- reference ----------------------------------------------------------------------------

    def reference(self, url: str, file_id: str, size: int) -> dict:
        since = self.maap.last_seq()
        c = curl(url)
        api, done = self.fetch_window(file_id, since)
        if c["status"] != 200 or c["size"] != size or not done["complete"]:
            raise RuntimeError(f"reference download failed: {c}, {done}")
        out = {"curl_s": c["time_total"], "curl_MBps": size / c["time_total"] / MB,
               "platform_s": round(done["t"] - api["t"], 3)}
        out["platform_MBps"] = size / max(out["platform_s"], 0.001) / MB
        # The same transfer saved to a file beside the bridge's files (the bridge stores
        # what it fetches; curl to /dev/null stores nothing).
        saved = self.bridge.data_dir / "reference.bin"
        d = curl(url, out=str(saved))
        if d["status"] != 200 or d["size"] != size:
            raise RuntimeError(f"reference download to disk failed: {d}")
        saved.unlink()
        out["curl_disk_s"] = d["time_total"]
        out["curl_disk_MBps"] = size / d["time_total"] / MB
        log("reference", json.dumps({k: round(v, 3) for k, v in out.items()}))
        return out

    # -- relay --------------------------------------------------------------------------------

    def relay(self, run: int) -> tuple[dict, dict]:
        size = self.a.size
        name = f"bench-{run}.bin"
        seen = len(self.user.messages())
        since = self.maap.last_seq()
        mem0 = proc_memory(self.bridge.pid)
        cpu0 = cpu_s(self.bridge.pid)
        sampler = RssSampler(self.bridge.pid, interval=0.02).start()
        try:
            t_cmd = time.time()
            sent = self.maap.control("phone_send_file", number=PHONE, size=size, seed=1000 + run, name=name)
            t_cmd_done = time.time()
            msg = self.user.wait(kind="message", predicate=lambda s: s.oob and s.oob[0][1] == name,
                                 timeout=self.a.timeout)
            t_link = msg.at + self.wall_minus_mono
            url = msg.oob[0][0]
            t_dl = time.time()
            c = curl(url)
            t_end = time.time()
        finally:
            sampler.stop()
        mem1 = proc_memory(self.bridge.pid)
        cpu1 = cpu_s(self.bridge.pid)
        if c["status"] != 200 or c["size"] != size:
            raise RuntimeError(f"the user's download failed: {c}")
        got_sha = curl_sha256(url)
        if got_sha != sent["sha256"]:
            raise RuntimeError(f"sha256 of the link {got_sha} != the platform's {sent['sha256']}")
        if len([m for m in self.user.messages()[seen:] if m.oob]) != 1:
            raise RuntimeError("not exactly one link message")
        queued = self.one_event("phone_message", since, msg_id=sent["msg_id"])
        api, done = self.fetch_window(sent["file_id"], since)
        hook = self.one_event("webhook", since, msg_id=sent["msg_id"], result="delivered")
        fetch_s = round(done["t"] - api["t"], 3)
        out = {
            "sha256_ok": True,
            "phone_send_file_s": round(t_cmd_done - t_cmd, 3),
            "platform_generate_s": round(queued["t"] - t_cmd, 3),
            "fetch_start_after_event_s": round(api["t"] - queued["t"], 3),
            "fetch_s": fetch_s, "fetch_MBps": size / max(fetch_s, 0.001) / MB,
            "webhook_answered_after_fetch_s": round(hook["t"] - done["t"], 3),
            "link_at_user_after_fetch_s": round(t_link - done["t"], 3),
            "user_download_s": c["time_total"], "user_download_MBps": size / c["time_total"] / MB,
            "e2e_from_command_s": round(t_end - t_cmd, 3),
            "e2e_from_event_s": round(t_end - queued["t"], 3),
            "curl_launch_overhead_s": round((t_end - t_dl) - c["time_total"], 3),
            "rss_before_MiB": mem0["VmRSS"] / MIB, "rss_peak_MiB": sampler.peak / MIB,
            "rss_growth_MiB": (sampler.peak - mem0["VmRSS"]) / MIB,
            "rss_samples": len(sampler.samples), "rss_max_gap_ms": round(sampler.max_gap() * 1000, 1),
            "hwm_before_MiB": mem0["VmHWM"] / MIB, "hwm_after_MiB": mem1["VmHWM"] / MIB,
            "bridge_cpu_s": round(cpu1 - cpu0, 2),
            "webhook_attempts": len(self.maap.events("webhook", since, msg_id=sent["msg_id"])),
        }
        out["e2e_from_command_MBps"] = size / out["e2e_from_command_s"] / MB
        out["e2e_from_event_MBps"] = size / out["e2e_from_event_s"] / MB
        log("relay", json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in out.items()}))
        return out, sent

    # -- run --------------------------------------------------------------------------------------

    def run(self) -> dict:
        self.start()
        for run in range(self.a.repeat):
            log(f"run {run + 1}/{self.a.repeat}: relay")
            r, sent = self.relay(run)
            self.res["relay"].append(r)
            log(f"run {run + 1}/{self.a.repeat}: reference (curl from the platform, the same file)")
            self.res["reference"].append(self.reference(sent["url"], sent["file_id"], self.a.size))
            self.maap.control("wait_idle", timeout=30)
        return self.res


def med(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def fmt(x, d=1):
    return "n/a" if x is None else f"{x:,.{d}f}"


def report(res: dict) -> str:
    mc, a = res["machine"], res["args"]
    rel, ref = res["relay"], res["reference"]
    size_mib = a["size"] / MIB
    curl_mbps, plat_ref = med(ref, "curl_MBps"), med(ref, "platform_MBps")
    disk_mbps = med(ref, "curl_disk_MBps")
    fetch_mbps = med(rel, "fetch_MBps")
    serve_mbps = med(rel, "user_download_MBps")
    e2e_cmd, e2e_ev = med(rel, "e2e_from_command_MBps"), med(rel, "e2e_from_event_MBps")
    growth = med(rel, "rss_growth_MiB")
    worst = max(r["rss_growth_MiB"] for r in rel)

    def each(runs, key, d=1):
        return ", ".join(fmt(r[key], d) for r in runs)

    out = [f"## RCS file from a phone to an XMPP user, {size_mib:g} MiB ({res['date']})", "",
           f"    {res['command']}", "",
           f"Machine: {mc['nproc']} CPUs ({mc['model']}), Linux {mc['kernel']}; shared and noisy. Load average at "
           f"the start {' '.join(f'{x:.2f}' for x in res['load_start'])}, at the end "
           f"{' '.join(f'{x:.2f}' for x in res['load_end'])}. Binary {mc['binary_built']} (HEAD {mc['commit']}"
           f"{'; uncommitted changes outside bench/ in the tree: ' + ', '.join(mc['dirty']) if mc['dirty'] else ''}), "
           f"Prosody {mc['prosody']}, Python {mc['python']} (MaaP test server), curl "
           f"{res.get('curl_version', '?')}.", "",
           f"Setup: one MaaP platform (tests/peers/rcs, plain HTTP on 127.0.0.1, log level WARNING), one phone, "
           f"passerelle as its chatbot (log level warn, files under its data_dir on the same disk). An XMPP user "
           f"wrote to the phone first; the phone then sends a {size_mib:g} MiB file (generated by the platform). "
           f"Relay: passerelle fetches it (streamed to disk, size and sha256 checked), shares it and gives the "
           f"user a XEP-0066 link; the user downloads the link with `curl -s -o /dev/null` (its sha256 checked "
           f"after, untimed). Reference: `curl -s -o /dev/null` of the same file's fileUrl on the platform, "
           f"same run, after each relay. Fetch times are the platform's own record (head of its answer ready -> "
           f"body written, 1 ms resolution), the same for the bridge's GET and curl's. MB = 10^6 bytes. "
           f"{a['repeat']} runs, interleaved, medians.", "",
           "| | reference (curl from the platform) | passerelle | passerelle / reference |",
           "|---|---|---|---|",
           f"| fetch from the platform, MB/s (platform's record) | {fmt(plat_ref)} | {fmt(fetch_mbps)} | "
           f"**{fmt(fetch_mbps / plat_ref if plat_ref and fetch_mbps else None, 2)}** |",
           f"| runs | {each(ref, 'platform_MBps')} | {each(rel, 'fetch_MBps')} | |",
           f"| curl's own time_total, MB/s | {fmt(curl_mbps)} | | "
           f"{fmt(fetch_mbps / curl_mbps if curl_mbps and fetch_mbps else None, 2)} |",
           f"| curl saving the file to disk beside the bridge's files (`-o FILE`), MB/s | {fmt(disk_mbps)} | "
           f"{fmt(fetch_mbps)} | **{fmt(fetch_mbps / disk_mbps if disk_mbps and fetch_mbps else None, 2)}** |",
           f"| runs | {each(ref, 'curl_disk_MBps')} | | |",
           f"| serving the link to the user (curl from passerelle), MB/s | {fmt(curl_mbps)} | {fmt(serve_mbps)} | "
           f"{fmt(serve_mbps / curl_mbps if curl_mbps and serve_mbps else None, 2)} |",
           f"| end to end, platform's `phone_message` event -> user's download done, MB/s (s) | {fmt(curl_mbps)} | "
           f"{fmt(e2e_ev)} ({fmt(med(rel, 'e2e_from_event_s'), 2)} s) | "
           f"{fmt(e2e_ev / curl_mbps if curl_mbps and e2e_ev else None, 2)} |",
           f"| end to end from the `phone_send_file` command (includes the platform generating the file: "
           f"{fmt(med(rel, 'platform_generate_s'), 2)} s), MB/s (s) | | {fmt(e2e_cmd)} "
           f"({fmt(med(rel, 'e2e_from_command_s'), 2)} s) | |",
           f"| event -> fetch starts / fetch done -> webhook answered / fetch done -> link at the user, ms | | "
           f"{fmt(1000 * med(rel, 'fetch_start_after_event_s'), 0)} / "
           f"{fmt(1000 * med(rel, 'webhook_answered_after_fetch_s'), 0)} / "
           f"{fmt(1000 * med(rel, 'link_at_user_after_fetch_s'), 0)} | |",
           f"| passerelle VmRSS growth during the relay (peak - before), MiB | | **{fmt(growth, 2)}** "
           f"(runs: {each(rel, 'rss_growth_MiB', 2)}; worst {fmt(worst, 2)}) | |",
           f"| passerelle VmRSS before / peak, VmHWM before / after, MiB (first run) | | "
           f"{fmt(rel[0]['rss_before_MiB'])} / {fmt(rel[0]['rss_peak_MiB'])}, {fmt(rel[0]['hwm_before_MiB'])} / "
           f"{fmt(rel[0]['hwm_after_MiB'])} | |",
           f"| passerelle CPU per relay (fetch + sha256 + serving), s | | {fmt(med(rel, 'bridge_cpu_s'), 2)} | |",
           ""]
    goals = []
    ratio = fetch_mbps / plat_ref if plat_ref and fetch_mbps else None
    goals.append(f"fetch ratio {fmt(ratio, 2)} against curl to /dev/null (goal >= 0.80: "
                 f"{'met' if ratio and ratio >= 0.8 else 'NOT met'})")
    disk_ratio = fetch_mbps / disk_mbps if disk_mbps and fetch_mbps else None
    goals.append(f"{fmt(disk_ratio, 2)} against curl saving the file to disk "
                 f"({'met' if disk_ratio and disk_ratio >= 0.8 else 'NOT met'})")
    goals.append(f"RSS growth {fmt(worst, 2)} MiB at worst (goal <= 8 MiB: {'met' if worst <= 8 else 'NOT met'})")
    out.append("Goals: " + "; ".join(goals) + ". VmRSS sampled every 20 ms (largest gap between samples "
               f"{fmt(max(r['rss_max_gap_ms'] for r in rel), 0)} ms) from just before `phone_send_file` to the end "
               "of the user's download. Webhook attempts per file: "
               f"{', '.join(str(r['webhook_attempts']) for r in rel)}.")
    out.append("")
    digest = res.get("bridge_log", {})
    if digest:
        out.append("What the daemon logged (level warn; numbers blanked, count):")
        out.append("")
        for k, v in sorted(digest.items(), key=lambda kv: -kv[1])[:10]:
            out.append(f"    {v} x {k}")
    else:
        out.append("The daemon logged nothing at level warn during the run.")
    out.append("")
    out.append(f"Exit code of the daemon after SIGTERM: {res.get('bridge_exit_code')}.")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=100 * MIB, help="file size in bytes (default 100 MiB)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each path, interleaved (default 3)")
    ap.add_argument("--timeout", type=float, default=120.0, help="wait for each step, s")
    ap.add_argument("--json", help="write the raw figures to this file")
    args = ap.parse_args()
    cmd = "PASSERELLE_BIN=" + os.environ.get("PASSERELLE_BIN", "<unset>").replace(str(ROOT), "$PWD") + \
        " /usr/bin/python3 " + " ".join(shlex.quote(x) for x in ["bench/rcs/file_bench.py", *sys.argv[1:]])
    curl_version = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "command": cmd, "args": vars(args), "machine": machine(), "load_start": list(os.getloadavg()),
           "curl_version": curl_version}
    b = FileBench(args)
    t0 = time.monotonic()
    try:
        res.update(b.run())
    finally:
        b.stop()
        res["bridge_exit_code"] = b.res.get("bridge_exit_code")
    res["bridge_log"] = log_digest(b.tmp / "passerelle")
    res["load_end"] = list(os.getloadavg())
    res["duration_s"] = round(time.monotonic() - t0, 1)
    section = report(res)
    print(section)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
