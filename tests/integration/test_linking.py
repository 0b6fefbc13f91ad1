"""Linking AIM, ICQ and MSN accounts from the person's own XMPP client (XEP-0077 on
aim./icq./msn.<domain>, as XEP-0100 gateways do): dave is allowed to use the bridge but
is in no configuration. He asks the gateway for its form, registers a wrong password (the
registration is refused with the network's reason), then the right one; the account
signs on, chats both ways,
signs on again after a restart from what the bridge stored, and is signed off when he
unregisters. Real Prosody and slixmpp, the in-tree OSCAR and MSNP test servers, all on
127.0.0.1.

    /usr/bin/python3 -m unittest tests.integration.test_linking -v
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from lib.bridge import Bridge  # noqa: E402
from lib.msn_peer import MsnContact, MsnServer  # noqa: E402
from lib.oscar_peer import OscarServerProc, OscarUser  # noqa: E402
from lib.procs import HarnessTestCase, wait_until  # noqa: E402
from lib.xmpp_peer import Prosody, XmppUser  # noqa: E402
from lib.require import skip_unless  # noqa: E402

DOMAIN = "example.org"
AIM = f"aim.{DOMAIN}"
ICQ = f"icq.{DOMAIN}"
MSN = f"msn.{DOMAIN}"
SECRET = "component-secret"
DAVE_PW = "dave-pw"
NS_REG = "jabber:iq:register"
NS_DATA = "jabber:x:data"


def child_text(s, name):
    for child in (s.xml if s.xml is not None else []):
        if child.tag.split("}", 1)[-1] == name:
            return child.text or ""
    return ""


def register(user, gateway, username, password):
    return user.iq(gateway, f"<query xmlns='{NS_REG}'><username>{username}</username>"
                            f"<password>{password}</password></query>", "set")


def unregister(user, gateway):
    return user.iq(gateway, f"<query xmlns='{NS_REG}'><remove/></query>", "set")


@skip_unless(Bridge.binary_available() and os.access("/usr/bin/prosody", os.X_OK),
                     "needs the passerelle binary and Prosody")
class Linking(HarnessTestCase):
    def setUp(self):
        super().setUp()
        self.prosody = Prosody(self.tmp, domain=DOMAIN, networks=("aim", "icq", "msn"),
                               secret=SECRET)
        self.prosody.write_config()
        self.prosody.register("dave", DAVE_PW)
        self.prosody.start()
        self.addCleanup(self.prosody.stop)

    def bridge(self, oscar_port=None, msn=None):
        config = {
            "xmpp": {"enabled": True, "component_host": "127.0.0.1",
                     "component_port": self.prosody.component_port, "secret": SECRET,
                     "networks": ["aim", "icq", "msn"], "reconnect_initial_ms": 200,
                     "reconnect_max_ms": 1000},
            "access": {"allow_domains": [DOMAIN]},
        }
        if oscar_port:
            config["oscar"] = {"enabled": True, "host": "127.0.0.1", "port": oscar_port,
                               "reconnect_initial_ms": 300, "reconnect_max_ms": 2000,
                               "login_interval_ms": 10}
        if msn:
            config["msn"] = {"enabled": True, "host": "127.0.0.1", "port": msn.ns_port,
                             "login_url": f"http://127.0.0.1:{msn.login_port}/rdr/pprdr.asp",
                             "reconnect_initial_ms": 300, "reconnect_max_ms": 2000,
                             "login_interval_ms": 10}
        b = Bridge(self.tmp, config)
        self.addCleanup(b.stop)
        b.start()
        # The gateways answer only once their component streams are up: an iq sent before
        # gets Prosody's service-unavailable.
        self.wait_connector(b, "xmpp", "up")
        return b

    def dave(self):
        u = XmppUser(f"dave@{DOMAIN}", DAVE_PW, self.prosody.c2s_port)
        u.start()
        self.addCleanup(u.stop)
        return u

    def connector(self, b, name):
        for c in b.get_json("/readyz")["connectors"]:
            if c["name"] == name:
                return c
        return None

    def wait_connector(self, b, name, state, detail=None, timeout=20):
        def ok():
            c = self.connector(b, name)
            return c and c["state"] == state and (detail is None or detail in c["detail"])
        wait_until(ok, timeout=timeout, message=f"{name} {state} on /readyz ({detail or ''})")

    def gateway_status(self, dave, gateway, text, since, timeout=20):
        return dave.wait_presence(lambda s: s.bare_from == gateway and text in child_text(s, "status"),
                                  timeout=timeout, since=since)

    # -- AIM: form, wrong password, right password, chat, restart, unregister -----------------

    def test_aim_account_linked_from_the_client(self):
        srv = OscarServerProc(self.tmp / "oscar", accounts=[("davesn", "aim-secret"),
                                                            ("bobsn", "bobpw")]).start()
        self.addCleanup(srv.stop)
        b = self.bridge(oscar_port=srv.auth_port)
        self.wait_connector(b, "oscar", "disabled")  # nothing linked yet
        dave = self.dave()

        # The gateway's form asks for the screen name and the password (XEP-0077 + XEP-0004).
        form = dave.iq(AIM, f"<query xmlns='{NS_REG}'/>")
        query = form.xml.find(f"{{{NS_REG}}}query")
        self.assertIsNotNone(query.find(f"{{{NS_REG}}}username"))
        self.assertIsNotNone(query.find(f"{{{NS_REG}}}password"))
        fields = {f.get("var"): f.get("type") for f in query.iter(f"{{{NS_DATA}}}field")}
        self.assertEqual(fields, {"username": "text-single", "password": "text-private"})

        # An AIM gateway refuses an ICQ number, and a missing password, with a reason.
        bad = register(dave, AIM, "123456", "x")
        self.assertEqual(bad.type, "error")
        self.assertIn("ICQ gateway", bad.error_text or "")
        bad = dave.iq(AIM, f"<query xmlns='{NS_REG}'><username>davesn</username></query>", "set")
        self.assertEqual(bad.type, "error")

        # A wrong password: the registration is refused with the network's reason, and
        # nothing is kept.
        bad = register(dave, AIM, "Dave SN", "wrong-pw")
        self.assertEqual(bad.type, "error")
        self.assertEqual(bad.error_condition, "forbidden")
        self.assertIn("davesn could not sign on to AIM", bad.error_text or "")
        self.assertIn("password", bad.error_text or "")
        self.wait_connector(b, "oscar", "disabled")
        self.assertNotIn("wrong-pw", b.tail(100000))  # the password is never logged

        # The right one: answered once the account is signed on; the gateway asks to be
        # in his roster (XEP-0100) and shows the account connected.
        since = time.monotonic()
        self.assertEqual(register(dave, AIM, "davesn", "aim-secret").type, "result")
        dave.wait_presence(lambda s: s.bare_from == AIM and s.type == "subscribe", timeout=10,
                           since=since)
        self.gateway_status(dave, AIM, "davesn: connected", since)
        self.wait_connector(b, "oscar", "up")
        self.assertNotIn("aim-secret", b.tail(100000))

        # Chat both ways through the linked account.
        bob = OscarUser(srv, "bobsn", "bobpw")
        self.addCleanup(bob.stop)
        bob.login()
        dave.send_message(f"bobsn@{AIM}", "hello bob, from XMPP")
        im = bob.run(bob.client.wait_im("davesn", timeout=15))
        self.assertEqual(im.text, "hello bob, from XMPP")
        bob.run(bob.client.send_im("davesn", "hi dave"))
        got = dave.wait_message(lambda s: s.body == "hi dave", timeout=15)
        self.assertEqual(got.bare_from, f"bobsn@{AIM}")

        # The password is stored sealed (store.key_file, mode 0600): not in clear in any
        # file of the data directory, the database and its WAL included.
        var = b.workdir / "var"
        self.assertEqual((var / "secret.key").stat().st_mode & 0o777, 0o600)
        for f in var.rglob("*"):
            if f.is_file():
                self.assertFalse(b"aim-secret" in f.read_bytes(), f"the password is in clear in {f.name}")

        # A restart: the account signs on again from the store.
        logins = len([e for e in srv.events("login") if e.get("user") == "davesn"])
        b.restart()
        wait_until(lambda: len([e for e in srv.events("login") if e.get("user") == "davesn"]) > logins,
                   timeout=20, message="davesn signs on again after the restart")
        self.wait_connector(b, "oscar", "up")
        self.wait_connector(b, "xmpp", "up")
        bob.run(bob.client.send_im("davesn", "still there?"))
        dave.wait_message(lambda s: s.body == "still there?", timeout=20)

        # Unregistering signs the account off; the gateway goes offline saying so.
        since = time.monotonic()
        self.assertEqual(unregister(dave, AIM).type, "result")
        self.gateway_status(dave, AIM, "unlinked", since)
        self.wait_connector(b, "oscar", "disabled")
        wait_until(lambda: all(o["norm"] != "davesn" for o in srv.control("online")["online"]),
                   timeout=15, message="davesn signed off at the server")
        dave.send_message(f"bobsn@{AIM}", "are you there?")
        err = dave.wait_error(lambda s: s.bare_from == f"bobsn@{AIM}", timeout=10)
        self.assertIn("no linked AIM account", err.error_text or "")
        # And after a restart it stays unlinked.
        b.restart()
        time.sleep(1)
        self.wait_connector(b, "oscar", "disabled")

    # -- ICQ and MSN on the same person ------------------------------------------------------

    def test_icq_and_msn_accounts_linked_from_the_client(self):
        srv = OscarServerProc(self.tmp / "oscar", accounts=[("424242", "icqpw"),
                                                            ("434343", "carolpw")]).start()
        self.addCleanup(srv.stop)
        (self.tmp / "msn").mkdir(exist_ok=True)
        msn = MsnServer(extra_args=["--versions", "MSNP12,MSNP11,MSNP10,MSNP9,MSNP8"],
                        workdir=str(self.tmp / "msn"))
        msn.start()
        self.addCleanup(msn.stop)
        msn.add_account("dave@example.com", "msn-Secret-77", "Dave")
        msn.add_account("bob@example.com", "123456", "Bob")
        msn.check("add_contact", owner="dave@example.com", contact="bob@example.com", lists=["FL", "AL"])
        msn.check("add_contact", owner="bob@example.com", contact="dave@example.com", lists=["FL", "AL"])
        b = self.bridge(oscar_port=srv.auth_port, msn=msn)
        dave = self.dave()

        since = time.monotonic()
        self.assertEqual(register(dave, ICQ, "424242", "icqpw").type, "result")
        self.assertEqual(register(dave, MSN, "Dave@Example.com", "msn-Secret-77").type, "result")
        self.gateway_status(dave, ICQ, "424242: connected", since)
        self.gateway_status(dave, MSN, "dave@example.com: connected", since)
        self.wait_connector(b, "oscar", "up")
        self.wait_connector(b, "msn", "up")
        for secret in ("icqpw", "msn-Secret-77"):
            self.assertNotIn(secret, b.tail(100000))  # credentials are never logged

        # ICQ: carol writes, dave answers.
        carol = OscarUser(srv, "434343", "carolpw")
        self.addCleanup(carol.stop)
        carol.login()
        carol.run(carol.client.send_im("424242", "salut dave"))
        dave.wait_message(lambda s: s.body == "salut dave" and s.bare_from == f"434343@{ICQ}",
                          timeout=15)
        dave.send_message(f"434343@{ICQ}", "salut carol")
        im = carol.run(carol.client.wait_im("424242", timeout=15))
        self.assertEqual(im.text, "salut carol")

        # MSN: dave writes to bob, who answers on the switchboard.
        bob = MsnContact(msn, "bob@example.com", versions=["MSNP12"])
        self.addCleanup(bob.stop)
        bob.login("NLN")
        bob_jid = "bob\\40example.com@" + MSN
        dave.wait_presence(lambda s: s.bare_from == bob_jid and s.type in ("", "available"), timeout=20)
        dave.send_message(bob_jid, "hello bob over MSN")
        rng = bob.run(bob.client.wait_ring("dave@example.com", timeout=15))
        sb = bob.run(bob.client.answer(rng))
        msg = bob.run(sb.next_text(timeout=15))
        self.assertEqual(msg.body.decode() if isinstance(msg.body, bytes) else msg.body,
                         "hello bob over MSN")
        bob.run(sb.send_text("hi dave"))
        dave.wait_message(lambda s: s.body == "hi dave" and s.bare_from == bob_jid, timeout=15)

        # Unlinking MSN leaves ICQ linked.
        since = time.monotonic()
        self.assertEqual(unregister(dave, MSN).type, "result")
        self.gateway_status(dave, MSN, "unlinked", since)
        self.wait_connector(b, "msn", "disabled")
        self.wait_connector(b, "oscar", "up")


if __name__ == "__main__":
    unittest.main()
