"""The stage the RCS integration tests play on: a real Prosody (users driven by slixmpp),
the in-tree MaaP platform test server (tests/peers/rcs) with two carriers' chatbot
platforms, the SMSC simulator on npm smpp, and the daemon between them, all on 127.0.0.1.

    class MyRcsTest(RcsStage):
        def test_something(self):
            b = self.bridge()                      # the daemon, ready
            alice = self.user("alice")             # a logged-in slixmpp user
            alice.send_message(f"{PHONE_A}@{RCS}", "hi")
            [sent] = self.wait_sent("carrier-a", PHONE_A)

carrier-a serves +3361 (phones PHONE_A; PHONE_A2 is in its range without RCS), carrier-b
serves +3362 (PHONE_B, and PORTED, a +3361 number ported to it). Every process is
started per test and stopped by PID after it (HarnessTestCase and the cleanups).
"""

from __future__ import annotations

import copy
import os
import sys
from typing import Any, Mapping

from .bridge import Bridge, deep_merge, smsc_table
from .ports import free_port
from .procs import HarnessTestCase, wait_until
from .require import skip_unless
from .smsc import Smsc
from .xmpp_peer import Prosody, XmppUser

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from tests.peers.rcs.harness import MaapServerProc, platform  # noqa: E402

DOMAIN = "example.org"
RCS = f"rcs.{DOMAIN}"
PHONE_A = "+33611111111"   # carrier-a, RCS
PHONE_A2 = "+33611111112"  # carrier-a range, no RCS
PHONE_B = "+33622222222"   # carrier-b, RCS
PORTED = "+33611111113"    # carrier-a range, ported to carrier-b
SENDER = "+33700000001"
SECRET = "component-secret"
PASSWORDS = {"alice": "alice-pw", "bob": "bob-pw"}
HOOK = {"carrier-a": "Bearer hook-a", "carrier-b": "Bearer hook-b"}
# name, bot, token, ranges: the platforms as the test server and the daemon both see them
PLATFORMS = (("carrier-a", "bot-a", "tok-a", ["+3361"]),
             ("carrier-b", "bot-b", "tok-b", ["+3362"]))


def available() -> bool:
    return Bridge.binary_available() and os.access("/usr/bin/prosody", os.X_OK)


@skip_unless(available(), "needs the passerelle binary and Prosody")
class RcsStage(HarnessTestCase):
    """setUp starts Prosody (alice and bob registered), the MaaP server and the SMSC
    simulator; bridge() starts the daemon. Subclasses may change the class attributes
    below (read by setUp) to shape the platform server."""

    # carrier-a's webhook retries (the test server's `webhook_retry`); carrier-b keeps the
    # server's defaults.
    webhook_retry_a: Mapping[str, Any] = {"initial": 0.2, "factor": 2.0, "max_delay": 1.0,
                                          "max_attempts": 30, "timeout": 5.0}
    # more keys for the server's platform entries, by platform name (e.g. max_file_size)
    maap_platform_keys: Mapping[str, Mapping[str, Any]] = {}

    def setUp(self):
        super().setUp()
        self.prosody = Prosody(self.tmp, domain=DOMAIN, networks=("sms", "rcs"), secret=SECRET)
        self.prosody.write_config()
        for user, pw in PASSWORDS.items():
            self.prosody.register(user, pw)
        self.prosody.start()
        self.webhook_port = free_port()
        hook = f"http://127.0.0.1:{self.webhook_port}/rcs"
        extra = {name: dict(self.maap_platform_keys.get(name, {})) for name, *_ in PLATFORMS}
        extra["carrier-a"].setdefault("webhook_retry", dict(self.webhook_retry_a))
        self.maap = MaapServerProc(
            self.tmp,
            platforms=[platform(name, bot, token, ranges, webhook=f"{hook}/{name}", webhook_token=HOOK[name],
                                **extra[name])
                       for name, bot, token, ranges in PLATFORMS],
            phones=[{"number": PHONE_A}, {"number": PHONE_B},
                    {"number": PORTED, "platform": "carrier-b"}]).start()
        self.addCleanup(self.maap.stop)
        self.smsc = Smsc(self.tmp, name="smsc", receipts=True)
        self.smsc.start()
        self.addCleanup(self.smsc.stop)

    def bridge(self, *, fallback_after_s=300, portability_file="", start=True,
               platforms: Mapping[str, Mapping[str, Any]] | None = None,
               config: Mapping[str, Any] | None = None) -> Bridge:
        """The daemon with XMPP (sms and rcs networks), SMS (one SMSC) and RCS (both
        carriers). `platforms` adds or changes keys of a `[[rcs.platform]]` entry by name
        (e.g. {"carrier-a": {"max_file_size": 1 << 20}}); `config` is merged over the rest
        (e.g. {"files": {"ttl_s": 3600}}; lists are replaced, not merged)."""
        platforms = platforms or {}
        rcs_platforms = []
        for name, bot, token, ranges in PLATFORMS:
            entry = {"name": name, "api_url": self.maap.api_url(name), "bot_id": bot, "token": token,
                     "webhook_token": HOOK[name], "ranges": ranges, "timeout_ms": 2000}
            entry.update(copy.deepcopy(dict(platforms.get(name, {}))))
            rcs_platforms.append(entry)
        unknown = set(platforms) - {name for name, *_ in PLATFORMS}
        if unknown:
            raise ValueError(f"no such platform: {sorted(unknown)}")
        doc = {
            "xmpp": {"enabled": True, "component_host": "127.0.0.1",
                     "component_port": self.prosody.component_port, "secret": SECRET,
                     "networks": ["sms", "rcs"], "reconnect_initial_ms": 200,
                     "reconnect_max_ms": 1000},
            "sms": {"enabled": True, "sender_numbers": [SENDER],
                    "smsc": [smsc_table("primary", self.smsc.port, reconnect_initial_ms=200,
                                        reconnect_max_ms=1000, enquire_link_s=5)]},
            "delivery": {"retry_initial_ms": 200, "retry_max_ms": 1000, "max_attempts": 50},
            "rcs": {"enabled": True, "webhook_listen": f"127.0.0.1:{self.webhook_port}",
                    "fallback_after_s": fallback_after_s, "portability_file": portability_file,
                    "platform": rcs_platforms},
        }
        if config:
            doc = deep_merge(doc, config)
        b = Bridge(self.tmp, doc)
        self.addCleanup(b.stop)
        if start:
            b.start()
            b.wait_ready(timeout=20)
        return b

    def user(self, name) -> XmppUser:
        u = XmppUser(f"{name}@{DOMAIN}", PASSWORDS[name], self.prosody.c2s_port)
        u.start()
        self.addCleanup(u.stop)
        return u

    def sent_to(self, platform_name, number) -> list[dict]:
        """What the bots sent to `number` on that platform (the server's `sent`)."""
        return self.maap.control("sent", platform=platform_name, number=number)["messages"]

    def wait_sent(self, platform_name, number, count=1, timeout=10) -> list[dict]:
        wait_until(lambda: len(self.sent_to(platform_name, number)) >= count, timeout=timeout,
                   message=f"{count} message(s) sent to {number} on {platform_name}")
        return self.sent_to(platform_name, number)

    @staticmethod
    def text_of(sent) -> str | None:
        return sent["request"]["RCSMessage"].get("textMessage")
