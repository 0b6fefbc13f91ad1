"""The login endpoint over HTTPS (--login-cert/--login-key): a client that trusts the test
CA logs in and the server records the login as TLS; a client that does not, or one
speaking plain HTTP to the TLS port, gets nothing and the server records why; a
certificate the server cannot load stops it with a message naming the file. The CA and
the certificate for 127.0.0.1 are made by the openssl command in a temp dir."""

from __future__ import annotations

import asyncio
import itertools
import shutil
import ssl
import tempfile
import unittest
from pathlib import Path

from tests.integration.lib import certs
from tests.peers.msn.client import MsnClient, http_get
from tests.peers.msn.harness import MsnServer
from tests.integration.lib.require import skip_unless

T = 10.0
_ids = itertools.count(1)


@skip_unless(certs.available(), "needs the openssl command")
class HttpsLogin(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = Path(tempfile.mkdtemp(prefix="msn-https-test-"))
        cls.ca, ca_key = certs.ca(cls.dir, "ca")
        cert, key = certs.signed(cls.dir, "login", cls.ca, ca_key)
        cls.server = MsnServer(extra_args=["--login-cert", str(cert), "--login-key", str(key)],
                               workdir=str(cls.workdir("server"))).start()

    @classmethod
    def workdir(cls, name: str) -> Path:
        (cls.dir / name).mkdir()
        return cls.dir / name

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def account(self) -> str:
        email = f"tls{next(_ids)}@example.com"
        self.server.add_account(email, "pw-tls", "Tls")
        return email

    def client(self, email: str, tls: ssl.SSLContext | None) -> MsnClient:
        c = MsnClient(email, "pw-tls", ns_port=self.server.ns_port, login_port=self.server.login_port,
                      login_ssl=tls)
        self.addAsyncCleanup(self._close, c)
        return c

    @staticmethod
    async def _close(c: MsnClient) -> None:
        c.close()

    def since(self) -> int:
        events = self.server.routed()
        return events[-1]["seq"] if events else 0

    async def test_ready_info_says_tls(self):
        self.assertIs(self.server.info["login_tls"], True)

    async def test_login_with_the_ca_trusted(self):
        email = self.account()
        c = self.client(email, ssl.create_default_context(cafile=str(self.ca)))
        await c.login(T)
        await c.sync(T)
        logins = [e for e in self.server.routed(kinds=["http_login"]) if e["email"] == email]
        self.assertEqual(len(logins), 1, logins)
        self.assertIs(logins[0]["tls"], True)
        self.assertTrue([e for e in self.server.routed(kinds=["login"]) if e["email"] == email])

    async def test_untrusted_certificate_is_refused_and_recorded(self):
        since = self.since()
        c = self.client(self.account(), ssl.create_default_context())  # the system's CAs only
        with self.assertRaises(ssl.SSLCertVerificationError):
            await c.login(T)
        failed = self.server.routed(since=since, kinds=["http_tls_failed"])
        self.assertEqual(len(failed), 1, failed)
        # What the server saw: the client's alert (TLSV1_ALERT_UNKNOWN_CA) or, when the
        # client dropped the connection before it was read, ConnectionResetError.
        self.assertTrue(failed[0]["reason"], failed)
        # Nothing else was served on that connection, and the server still works.
        self.assertFalse(self.server.routed(since=since, kinds=["http_login", "http_login_failed"]))
        await self.client(self.account(), ssl.create_default_context(cafile=str(self.ca))).login(T)

    async def test_wrong_name_is_refused_by_the_client(self):
        # The certificate is for 127.0.0.1: a client that expects another name refuses it.
        ctx = ssl.create_default_context(cafile=str(self.ca))
        reader_writer = asyncio.open_connection("127.0.0.1", self.server.login_port, ssl=ctx,
                                                server_hostname="login.example.com")
        with self.assertRaises(ssl.SSLCertVerificationError) as e:
            await asyncio.wait_for(reader_writer, T)
        self.assertIn("login.example.com", str(e.exception))

    async def test_plain_http_on_the_tls_port_gets_no_answer(self):
        since = self.since()
        with self.assertRaises((asyncio.IncompleteReadError, ConnectionError)):
            await http_get("127.0.0.1", self.server.login_port, "/rdr/pprdr.asp", {}, T)
        failed = self.server.routed(since=since, kinds=["http_tls_failed"])
        self.assertEqual(len(failed), 1, failed)

    async def test_plain_http_server_by_default(self):
        srv = MsnServer(workdir=str(self.workdir("plain"))).start()
        try:
            self.assertIs(srv.info["login_tls"], False)
            status, headers = await http_get("127.0.0.1", srv.login_port, "/rdr/pprdr.asp", {}, T)
            self.assertEqual(status, 200)
            self.assertIn("DALogin=127.0.0.1:", headers["passporturls"])
        finally:
            srv.stop()

    async def test_a_certificate_it_cannot_load_stops_it(self):
        bad = self.dir / "not-a-cert.pem"
        bad.write_text("not a certificate\n")
        srv = MsnServer(extra_args=["--login-cert", str(bad)], workdir=str(self.workdir("bad")))
        with self.assertRaises(RuntimeError) as e:
            srv.start()
        self.assertIn(str(bad), str(e.exception))


if __name__ == "__main__":
    unittest.main()
