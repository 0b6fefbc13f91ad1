#!/usr/bin/python3
"""Starts a throwaway Prosody on loopback for manual tests (see README.md).

    /usr/bin/python3 tests/peers/prosody/run.py --user alice:alice-pw --network sms
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integration"))

from lib.xmpp_peer import Prosody  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--domain", default="example.org")
    ap.add_argument("--network", action="append", default=None, help="component <network>.<domain> (repeatable)")
    ap.add_argument("--secret", default="change-me")
    ap.add_argument("--user", action="append", default=[], help="localpart:password (repeatable)")
    ap.add_argument("--dir", default=None, help="working directory (default: a new temp dir)")
    ap.add_argument("--log-level", default="info")
    args = ap.parse_args()
    users = dict(u.split(":", 1) for u in args.user)
    workdir = args.dir or tempfile.mkdtemp(prefix="prosody-")
    p = Prosody(workdir, domain=args.domain, networks=args.network or ["sms"], secret=args.secret, users=users,
                log_level=args.log_level).start()
    print(f"prosody up: c2s 127.0.0.1:{p.c2s_port}  component 127.0.0.1:{p.component_port}  "
          f"secret {args.secret!r}\n  components: {', '.join(p.components)}\n  config: {p.config_path}\n"
          f"  log: {p.log_path}", flush=True)
    try:
        while p.running():
            time.sleep(0.5)
        print("prosody exited", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        p.stop()


if __name__ == "__main__":
    sys.exit(main())
