"""The admin HTTP server over TLS: with a certificate and a token it serves HTTPS only,
refuses a wrong token, and a certificate it cannot use stops the daemon with a message
naming the file. Loopback only (the harness refuses anything else); the certificate is
made for 127.0.0.1 by the openssl command line at the start of the test (lib/certs.py).

    /usr/bin/python3 -m unittest tests.integration.test_admin_tls -v
"""

import http.client
import os
import ssl
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib import certs, procs  # noqa: E402
from lib.bridge import Bridge  # noqa: E402
from lib.procs import HarnessTestCase  # noqa: E402
from lib.require import skip_unless  # noqa: E402

TOKEN = "s3cret-admin-token"


@skip_unless(Bridge.binary_available(), "needs the passerelle binary")
class AdminTls(HarnessTestCase):
    def daemon(self, cert, key):
        token_file = self.tmp / "admin.token"
        token_file.write_text(TOKEN + "\n")
        os.chmod(token_file, 0o600)
        bridge = Bridge(self.tmp, {"http": {"token_file": str(token_file), "tls_cert_file": str(cert),
                                            "tls_key_file": str(key)}})
        bridge.write_config()
        proc = procs.start([bridge.binary, "run", "--config", bridge.config_path], log_dir=self.tmp,
                           name="passerelle", cwd=self.tmp)
        return bridge, proc

    def https(self, port, cert, path, token=TOKEN):
        ctx = ssl.create_default_context(cafile=str(cert))
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=5)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"} if token else {})
            r = conn.getresponse()
            return r.status, r.read().decode()
        finally:
            conn.close()

    def test_serves_https_with_the_token_and_nothing_in_clear(self):
        cert, key = certs.self_signed(self.tmp, "admin")
        bridge, proc = self.daemon(cert, key)

        def healthy():
            if not proc.running():
                raise AssertionError(f"passerelle exited {proc.returncode}\n{proc.tail()}")
            try:
                return self.https(bridge.http_port, cert, "/healthz")[0] == 200
            except OSError:
                return False
        procs.wait_until(healthy, 30, 0.1, "GET https://127.0.0.1/healthz")

        status, body = self.https(bridge.http_port, cert, "/metrics")
        self.assertEqual(status, 200)
        self.assertIn("passerelle_", body)
        self.assertEqual(self.https(bridge.http_port, cert, "/healthz", token="wrong")[0], 401)
        self.assertEqual(self.https(bridge.http_port, cert, "/healthz", token=None)[0], 401)

        # Plain HTTP on the TLS port gets no answer.
        conn = http.client.HTTPConnection("127.0.0.1", bridge.http_port, timeout=5)
        with self.assertRaises((OSError, http.client.HTTPException)):
            conn.request("GET", "/healthz", headers={"Authorization": f"Bearer {TOKEN}"})
            conn.getresponse().read()
        conn.close()
        self.assertTrue(proc.running())
        self.assertIn("admin on https://", proc.tail())
        self.assertEqual(proc.stop(), 0)

    def test_a_key_that_does_not_match_the_certificate_stops_the_daemon(self):
        cert, _ = certs.self_signed(self.tmp, "one")
        _, other_key = certs.self_signed(self.tmp, "two")
        _, proc = self.daemon(cert, other_key)
        code = proc.wait(30)
        self.assertNotEqual(code, 0)
        self.assertIn("http.tls_key_file", proc.tail())


if __name__ == "__main__":
    unittest.main()
