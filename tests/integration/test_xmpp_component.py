"""The XMPP connectors against a real Prosody, without the daemon.

tests/unit/xmpp/xmpp_driver runs XmppComponentConnector / XmppClientConnector (built by
make_xmpp_connectors) with an echoing fake core and prints every inbound event as a JSON
line; slixmpp plays the users. Needs /usr/bin/prosody, python3-slixmpp and the driver
(XMPP_DRIVER=path, or found under build/*/). Run:

    /usr/bin/python3 -m unittest tests.integration.test_xmpp_component -v
"""

import glob
import json
import os
import subprocess
import sys
import threading
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib import procs  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402
from lib.require import skip_unless  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOMAIN = "example.org"
SMS = f"sms.{DOMAIN}"
PUPPET = f"+33611111111@{SMS}"
SECRET = "s3cret-component"
NS_DISCO_INFO = "http://jabber.org/protocol/disco#info"


def find_driver():
    env = os.environ.get("XMPP_DRIVER")
    if env:
        return env if os.access(env, os.X_OK) else None
    candidates = sorted(glob.glob(os.path.join(REPO, "build", "*", "tests", "unit", "xmpp", "xmpp_driver")) +
                        glob.glob(os.path.join(REPO, "build", "*", "unit_xmpp", "xmpp_driver")),
                        key=os.path.getmtime, reverse=True)
    return candidates[0] if candidates else None


DRIVER = find_driver()
HAVE_PROSODY = os.access("/usr/bin/prosody", os.X_OK)


class Driver:
    """The xmpp_driver process: JSON events from stdout, commands on stdin."""

    def __init__(self, tmp, args, name="xmpp_driver"):
        self.proc = procs.start([DRIVER, *args], log_dir=tmp, name=name, stdin=subprocess.PIPE, pipe_stdout=True)
        self.events = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.popen.stdout:
            try:
                ev = json.loads(raw)
            except ValueError:
                continue
            ev["_at"] = time.monotonic()
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()

    def wait(self, event, predicate=None, timeout=10.0, since=None):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events:
                    if ev["event"] == event and (since is None or ev["_at"] >= since) and \
                            (predicate is None or predicate(ev)):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n  ".join(json.dumps({k: v for k, v in e.items() if k != "_at"})
                                       for e in self.events[-15:])
                    raise TimeoutError(f"no {event} event in {timeout:g} s; last events:\n  {tail}")
                self.cond.wait(left)

    def all(self, event, since=None):
        with self.cond:
            return [e for e in self.events if e["event"] == event and (since is None or e["_at"] >= since)]

    def command(self, line):
        self.proc.popen.stdin.write((line + "\n").encode())
        self.proc.popen.stdin.flush()

    def quit(self, timeout=10.0):
        try:
            self.command("quit")
            return self.proc.wait(timeout)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            return procs.stop(self.proc)


@skip_unless(DRIVER and HAVE_PROSODY, "needs prosody and the xmpp_driver build")
class XmppTestCase(procs.HarnessTestCase):
    users = {"alice": "alice-pw"}

    def start_prosody(self, **kw):
        self.prosody = Prosody(self.tmp, domain=DOMAIN, networks=["sms"], secret=SECRET, users=self.users, **kw)
        return self.prosody.start()

    def start_component(self, secret=SECRET, wait_up=True):
        d = Driver(self.tmp, ["--domain", DOMAIN, "--host", "127.0.0.1", "--component-port",
                              str(self.prosody.component_port), "--secret", secret, "--networks", "sms",
                              "--allow-domain", DOMAIN])
        self.addCleanup(d.quit)
        if wait_up:
            d.wait("link", lambda e: e["account"] == SMS and e["state"] == "up", timeout=15)
        return d

    def user(self, jid, password, **kw):
        u = XmppUser(jid, password, self.prosody.c2s_port, **kw).start()
        self.addCleanup(u.stop)
        return u


class ComponentTest(XmppTestCase):
    def setUp(self):
        super().setUp()
        self.start_prosody()
        self.driver = self.start_component()
        self.alice = self.user(f"alice@{DOMAIN}/pc", "alice-pw")

    def test_message_round_trip_with_receipt(self):
        mid = self.alice.send_message(PUPPET, "hello there", receipt=True)
        ev = self.driver.wait("message", lambda e: e["origin_id"] == mid)
        self.assertEqual(ev["connector"], "xmpp")
        self.assertEqual(ev["from"], f"xmpp:alice@{DOMAIN}")
        self.assertEqual(ev["to"], "sms:+33611111111")
        self.assertEqual(ev["body"], "hello there")
        self.assertTrue(ev["wants_receipt"])
        receipt = self.alice.wait_receipt(mid)
        self.assertEqual(receipt.frm, PUPPET)
        echo = self.alice.wait_message(lambda s: s.body == "echo: hello there")
        self.assertEqual(echo.frm, PUPPET)
        self.assertEqual(echo.type, "chat")
        report = self.driver.wait("report", lambda e: e["delivery_id"] == f"d-{mid}")
        self.assertEqual(report["state"], "acked")
        self.assertEqual(report["network_id"], echo.id)
        # The user's client acknowledges the echo: a delivered report for that id.
        self.alice.send_receipt(PUPPET, echo.id)
        self.driver.wait("report", lambda e: e["network_id"] == echo.id and e["state"] == "delivered")

    def test_forbidden_becomes_stanza_error(self):
        mid = self.alice.send_message(PUPPET, "forbidden")
        err = self.alice.wait_error(lambda s: s.id == mid)
        self.assertEqual(err.frm, PUPPET)
        self.assertEqual(err.error_type, "auth")
        self.assertEqual(err.error_condition, "forbidden")
        self.assertIn("not allowed", err.error_text)
        self.assertFalse([m for m in self.alice.messages() if m.body and m.body.startswith("echo: forbidden")])

    def test_error_from_router_after_accepting(self):
        mid = self.alice.send_message(PUPPET, "late-error")
        err = self.alice.wait_error(lambda s: s.id == mid)
        self.assertEqual((err.error_type, err.error_condition), ("modify", "policy-violation"))
        self.assertIn("spending cap", err.error_text)

    def test_malformed_and_raw_recipients(self):
        mid = self.alice.send_message(SMS, "to the domain itself")
        err = self.alice.wait_error(lambda s: s.id == mid)
        self.assertEqual(err.error_condition, "jid-malformed")
        # A number as typed (XEP-0106 escaped spaces) reaches the core unvalidated.
        mid = self.alice.send_message(f"06\\2011\\2011\\2011\\2011@{SMS}", "raw")
        ev = self.driver.wait("message", lambda e: e["origin_id"] == mid)
        self.assertEqual(ev["to"], "sms:06 11 11 11 11")

    def test_disco(self):
        info = self.alice.iq(SMS, f"<query xmlns='{NS_DISCO_INFO}'/>")
        self.assertEqual(info.type, "result")
        q = info.xml.find(f"{{{NS_DISCO_INFO}}}query")
        ident = q.find(f"{{{NS_DISCO_INFO}}}identity")
        self.assertEqual((ident.get("category"), ident.get("type")), ("gateway", "sms"))
        features = {f.get("var") for f in q.findall(f"{{{NS_DISCO_INFO}}}feature")}
        for f in (NS_DISCO_INFO, "http://jabber.org/protocol/disco#items", "jabber:iq:register",
                  "urn:xmpp:receipts", "http://jabber.org/protocol/chatstates", "jabber:iq:gateway"):
            self.assertIn(f, features)
        puppet = self.alice.iq(PUPPET, f"<query xmlns='{NS_DISCO_INFO}'/>")
        ident = puppet.xml.find(f"{{{NS_DISCO_INFO}}}query/{{{NS_DISCO_INFO}}}identity")
        self.assertEqual((ident.get("category"), ident.get("type")), ("client", "phone"))
        items = self.alice.iq(SMS, "<query xmlns='http://jabber.org/protocol/disco#items'/>")
        self.assertEqual(items.type, "result")
        self.assertEqual(len(list(items.xml.find("{http://jabber.org/protocol/disco#items}query"))), 0)
        unknown = self.alice.iq(SMS, "<vCard xmlns='vcard-temp'/>")
        self.assertEqual((unknown.type, unknown.error_condition), ("error", "service-unavailable"))

    def test_registration(self):
        form = self.alice.iq(SMS, "<query xmlns='jabber:iq:register'/>")
        self.assertEqual(form.type, "result")
        self.assertIsNotNone(form.xml.find("{jabber:iq:register}query/{jabber:iq:register}phone"))
        self.assertIsNotNone(form.xml.find("{jabber:iq:register}query/{jabber:x:data}x"))
        ok = self.alice.iq(SMS, "<query xmlns='jabber:iq:register'><phone>+33622222222</phone></query>", "set")
        self.assertEqual(ok.type, "result")
        ev = self.driver.wait("registration", lambda e: e["phone"] == "+33622222222")
        self.assertEqual(ev["user"], f"xmpp:alice@{DOMAIN}")
        bad = self.alice.iq(SMS, "<query xmlns='jabber:iq:register'><phone>0622</phone></query>", "set")
        self.assertEqual((bad.type, bad.error_condition), ("error", "bad-request"))
        self.assertIn("international", bad.error_text)
        gone = self.alice.iq(SMS, "<query xmlns='jabber:iq:register'><remove/></query>", "set")
        self.assertEqual(gone.type, "result")
        self.driver.wait("registration", lambda e: e["remove"])

    def test_gateway_prompt(self):
        r = self.alice.iq(SMS, "<query xmlns='jabber:iq:gateway'><prompt>+33 6 11 11 11 11</prompt></query>", "set")
        self.assertEqual(r.xml.find("{jabber:iq:gateway}query/{jabber:iq:gateway}jid").text, PUPPET)

    def test_subscription_handshake(self):
        self.alice.send_presence(PUPPET, "subscribe")
        self.driver.wait("subscription", lambda e: e["action"] == "subscribe" and e["to"] == "sms:+33611111111")
        # The gateway approves and asks back (slixmpp auto-authorizes: the gateway hears
        # "subscribed"), then shows the puppet available.
        self.alice.wait_presence(lambda s: s.bare_from == PUPPET and s.type == "subscribe")
        self.driver.wait("subscription", lambda e: e["action"] == "subscribed")
        self.alice.wait_presence(lambda s: s.bare_from == PUPPET and s.type == "")
        # Prosody records the approval in alice's roster (it does not forward "subscribed").
        def both():
            roster = self.alice.iq(f"alice@{DOMAIN}", "<query xmlns='jabber:iq:roster'/>")
            items = {i.get("jid"): i.get("subscription")
                     for i in roster.xml.iter("{jabber:iq:roster}item")}
            return items.get(PUPPET) == "both"
        procs.wait_until(both, timeout=10, message="puppet never reached subscription=both")
        # A probe is answered: available.
        t = time.monotonic()
        self.alice.send_presence(PUPPET, "probe")
        self.alice.wait_presence(lambda s: s.bare_from == PUPPET and s.type == "", since=t)
        # Unsubscribing is acknowledged and reported.
        self.alice.send_presence(PUPPET, "unsubscribe")
        self.driver.wait("subscription", lambda e: e["action"] == "unsubscribe")

    def test_chat_states(self):
        self.alice.send_chat_state(PUPPET, "composing")
        ev = self.driver.wait("chatstate")
        self.assertEqual((ev["from"], ev["to"], ev["state"]), (f"xmpp:alice@{DOMAIN}", "sms:+33611111111", "composing"))
        back = self.alice.wait_chat_state("composing")
        self.assertEqual(back.frm, PUPPET)


class ComponentLinkTest(XmppTestCase):
    def test_bad_secret_is_reported(self):
        self.start_prosody()
        d = self.start_component(secret="wrong", wait_up=False)
        ev = d.wait("link", lambda e: e["state"] == "backing_off", timeout=15)
        self.assertIn("not-authorized", ev["reason"])
        self.assertIn("check xmpp.secret", ev["reason"])
        d.command("status")
        st = d.wait("status")
        self.assertEqual(st["state"], "backing_off")
        self.assertIn("xmpp.secret", st["detail"])
        self.assertNotIn("wrong", st["detail"])

    def test_reconnects_after_server_restart(self):
        self.start_prosody()
        d = self.start_component()
        self.prosody.stop()
        t = time.monotonic()
        ev = d.wait("link", lambda e: e["state"] == "backing_off", since=t, timeout=15)
        self.assertIn("retrying", ev["reason"])
        self.prosody.start()
        d.wait("link", lambda e: e["state"] == "up", since=t, timeout=20)
        alice = self.user(f"alice@{DOMAIN}/pc", "alice-pw")
        mid = alice.send_message(PUPPET, "after restart")
        alice.wait_message(lambda s: s.body == "echo: after restart")
        d.command("status")
        st = d.wait("status", lambda e: e["connector"] == "xmpp")
        self.assertEqual(st["state"], "up")
        self.assertGreaterEqual(st["reconnects"], 1)
        self.assertTrue(mid)


class ClientModeTest(XmppTestCase):
    users = {"bob": "bob-pw", "carol": "carol-pw"}

    def start_client(self):
        d = Driver(self.tmp, ["--domain", DOMAIN, "--host", "127.0.0.1", "--account", f"bob@{DOMAIN}",
                              "--password", "bob-pw", "--resource", "passerelle", "--c2s-port",
                              str(self.prosody.c2s_port), "--tls", "disabled"], name="xmpp_client_driver")
        self.addCleanup(d.quit)
        d.wait("link", lambda e: e["account"] == f"bob@{DOMAIN}" and e["state"] == "up", timeout=15)
        return d

    def test_steps_aside_while_own_client_is_online(self):
        self.start_prosody()
        phone = self.user(f"bob@{DOMAIN}/phone", "bob-pw", priority=0)
        d = self.start_client()
        ev = d.wait("presence", timeout=10)
        self.assertEqual((ev["who"], ev["observer"], ev["state"]), (f"xmpp:bob@{DOMAIN}", f"xmpp:bob@{DOMAIN}", "available"))
        carol = self.user(f"carol@{DOMAIN}/laptop", "carol-pw")
        carol.send_message(f"bob@{DOMAIN}", "for your phone")
        phone.wait_message(lambda s: s.body == "for your phone")
        time.sleep(0.5)
        self.assertEqual(d.all("message"), [], "the bridge resource must not take the person's messages")

        # The phone goes away: the bridge takes over (priority 0) and says so.
        t = time.monotonic()
        phone.stop()
        d.wait("presence", lambda e: e["state"] == "offline", since=t, timeout=10)
        time.sleep(0.3)  # let the new priority reach the server before carol writes
        carol.send_message(f"bob@{DOMAIN}", "phone is off", receipt=True)
        m = d.wait("message", lambda e: e["body"] == "phone is off")
        self.assertEqual((m["connector"], m["from"], m["to"]), ("xmpp-client", f"xmpp:carol@{DOMAIN}", f"xmpp:bob@{DOMAIN}"))
        self.assertTrue(m["wants_receipt"])

        # Back online: the bridge steps aside again.
        t = time.monotonic()
        self.user(f"bob@{DOMAIN}/phone2", "bob-pw", priority=1)
        d.wait("presence", lambda e: e["state"] == "available", since=t, timeout=10)

        # Sending as the account.
        d.command(f"send xmpp:bob@{DOMAIN} xmpp:carol@{DOMAIN} hello from the bridge")
        got = carol.wait_message(lambda s: s.body == "hello from the bridge")
        self.assertEqual(got.frm, f"bob@{DOMAIN}/passerelle")

    def test_wrong_password_is_reported_without_the_password(self):
        self.start_prosody()
        d = Driver(self.tmp, ["--domain", DOMAIN, "--host", "127.0.0.1", "--account", f"bob@{DOMAIN}",
                              "--password", "not-bobs-pw", "--c2s-port", str(self.prosody.c2s_port)],
                   name="xmpp_client_driver")
        self.addCleanup(d.quit)
        ev = d.wait("link", lambda e: e["state"] == "backing_off", timeout=15)
        self.assertIn("login refused", ev["reason"])
        self.assertIn(f"check the password of bob@{DOMAIN}", ev["reason"])
        d.quit()
        for path in self.tmp.glob("xmpp_client_driver.*.log"):
            self.assertNotIn("not-bobs-pw", path.read_text(errors="replace"), path)

    def test_alone_at_login_reports_offline(self):
        self.start_prosody()
        d = self.start_client()
        ev = d.wait("presence", timeout=10)
        self.assertEqual(ev["state"], "offline")
        carol = self.user(f"carol@{DOMAIN}/laptop", "carol-pw")
        time.sleep(0.3)
        carol.send_message(f"bob@{DOMAIN}", "anyone?")
        d.wait("message", lambda e: e["body"] == "anyone?")


if __name__ == "__main__":
    unittest.main()
