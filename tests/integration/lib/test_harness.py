"""Checks the harness itself (no passerelle build needed): TOML rendering against the
example config, the Prometheus parser, process control, and Bridge driven against a
small fake daemon.

    /usr/bin/python3 -m unittest tests.integration.lib.test_harness -v
"""

import math
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import tomllib
import unittest
from pathlib import Path

from . import bridge, procs
from . import ports
from .ports import free_port, free_ports

FAKE_DAEMON = textwrap.dedent('''\
    import http.server, json, os, signal, sys, tomllib
    assert sys.argv[1:3] == ["run", "--config"], sys.argv
    cfg = tomllib.load(open(sys.argv[3], "rb"))
    host, port = cfg["http"]["listen"].rsplit(":", 1)
    data_dir = cfg["bridge"]["data_dir"]
    os.makedirs(data_dir, exist_ok=True)
    starts_file = os.path.join(data_dir, "starts")
    starts = int(open(starts_file).read()) + 1 if os.path.exists(starts_file) else 1
    open(starts_file, "w").write(str(starts))
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            if self.path == "/healthz":
                code, body, ctype = 200, b"ok", "text/plain"
            elif self.path == "/readyz":
                code, ctype = 503, "application/json"
                body = json.dumps({"ready": False, "links": {"sms/primary": "backing_off"}}).encode()
            elif self.path == "/metrics":
                code, ctype = 200, "text/plain; version=0.0.4"
                body = ("# HELP passerelle_starts Starts.\\n# TYPE passerelle_starts gauge\\n"
                        f"passerelle_starts {starts}\\n"
                        'passerelle_sms_submitted_total{smsc="primary",status="ok"} 3\\n').encode()
            else:
                code, body, ctype = 404, b"no", "text/plain"
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    srv = http.server.HTTPServer((host, int(port)), H)
    def term(*_):
        sys.exit(0)
    signal.signal(signal.SIGTERM, term)
    print("fake passerelle up", flush=True)
    try:
        srv.serve_forever()
    except SystemExit:
        sys.stderr.write("fake passerelle: drained\\n")
        raise
''')


class TomlTest(unittest.TestCase):

    def test_example_round_trip(self):
        example = tomllib.loads(bridge.EXAMPLE_CONFIG.read_text())
        rendered = bridge.render_toml(example)
        self.assertEqual(tomllib.loads(rendered), example)
        self.assertIn("\n[[sms.smsc]]\n", rendered)
        self.assertIn('tariff = { "+" = 5 }', rendered)

    def test_arrays_of_tables_and_inline(self):
        doc = bridge.deep_merge(bridge.default_config(Path("/w"), 8080), {
            "sms": {"enabled": True, "sender_numbers": ["+33700000001"],
                    "smsc": [bridge.smsc_table("a", 2775, prefixes=["+33"],
                                               tariff={"+": 5, "+336": 3}),
                             bridge.smsc_table("b", 2776, bind="transmitter+receiver")]},
            "people": [{"name": "bob", "phone": "+33611111111", "addresses": ["xmpp:bob@example.org"]}],
            "log": {"level": "info"},
            "xmpp": {"secret": 'quo"te\\back\nline', "password_file": None},
        })
        text = bridge.render_toml(doc)
        parsed = tomllib.loads(text)
        self.assertEqual(parsed["sms"]["smsc"][0]["tariff"], {"+": 5, "+336": 3})
        self.assertEqual(parsed["sms"]["smsc"][1]["bind"], "transmitter+receiver")
        self.assertEqual(parsed["people"][0]["phone"], "+33611111111")
        self.assertEqual(parsed["xmpp"]["secret"], 'quo"te\\back\nline')
        self.assertNotIn("password_file", parsed["xmpp"])
        self.assertEqual(parsed["log"], {"level": "info", "format": "text"})
        self.assertEqual(text.count("[[sms.smsc]]"), 2)
        self.assertIn('tariff = { "+" = 5, "+336" = 3 }', text)


class PrometheusTest(unittest.TestCase):

    def test_parse(self):
        text = textwrap.dedent('''\
            # HELP x_total Things.
            # TYPE x_total counter
            x_total{a="1",b="two words"} 3
            x_total{a="2",b="q\\"uote\\\\ \\n"} 4.5 1712345678000
            up 1
            h_bucket{le="+Inf"} +Inf
            nan_metric NaN
            ''')
        m = bridge.parse_prometheus(text)
        self.assertEqual(m[("x_total", frozenset({("a", "1"), ("b", "two words")}))], 3)
        self.assertEqual(m[("x_total", frozenset({("a", "2"), ("b", 'q"uote\\ \n')}))], 4.5)
        self.assertEqual(m[("up", frozenset())], 1)
        self.assertTrue(math.isinf(m[("h_bucket", frozenset({("le", "+Inf")}))]))
        self.assertTrue(math.isnan(m[("nan_metric", frozenset())]))
        self.assertEqual(bridge.metric_value(m, "x_total"), 7.5)
        self.assertEqual(bridge.metric_value(m, "x_total", a="2"), 4.5)
        self.assertIsNone(bridge.metric_value(m, "missing"))
        with self.assertRaises(ValueError):
            bridge.parse_prometheus("bad line with {")


class ProcsTest(procs.HarnessTestCase):

    def test_stop_exit_codes_and_waits(self):
        p = procs.start([sys.executable, "-c", "import time; print('hi', flush=True); time.sleep(60)"],
                        log_dir=self.tmp, name="sleeper")
        procs.wait_until(lambda: p.stdout_path.read_text() == "hi\n", timeout=5)
        self.assertEqual(procs.stop(p.pid, timeout=5), -signal.SIGTERM)
        self.assertFalse(any(x.pid == p.pid for x in procs.live()))

        stubborn = procs.start([sys.executable, "-c",
                                "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN);"
                                "print('ready', flush=True); time.sleep(60)"],
                               log_dir=self.tmp, name="stubborn")
        procs.wait_until(lambda: stubborn.stdout_path.read_text(), timeout=5)
        t0 = time.monotonic()
        self.assertEqual(stubborn.stop(timeout=0.5), -signal.SIGKILL)
        self.assertLess(time.monotonic() - t0, 5)

        with self.assertRaises(TimeoutError):
            procs.wait_until(lambda: False, timeout=0.2, message="never")
        with self.assertRaises(TimeoutError):
            procs.wait_for_port("127.0.0.1", free_port(), timeout=0.3)
        a, b = free_ports(2)
        self.assertNotEqual(a, b)

    def test_free_ports_are_new_and_outside_the_range_of_outgoing_connections(self):
        lowest_outgoing, _ = ports._outgoing_range()
        got = free_ports(20) + [free_port() for _ in range(20)]
        self.assertEqual(len(set(got)), 40, got)
        self.assertTrue(all(p < lowest_outgoing for p in got), got)


class BridgeWithFakeDaemonTest(procs.HarnessTestCase):

    def test_lifecycle(self):
        fake = self.tmp / "fake-passerelle"
        fake.write_text(f"#!{sys.executable}\n" + FAKE_DAEMON)
        fake.chmod(0o755)
        b = bridge.Bridge(self.tmp, {"sms": {"enabled": True,
                                             "smsc": [bridge.smsc_table("primary", 2775)]}},
                          binary=fake)
        b.start(timeout=10)
        cfg = tomllib.loads(b.config_path.read_text())
        self.assertEqual(cfg["sms"]["smsc"][0]["port"], 2775)
        self.assertEqual(cfg["http"]["listen"], f"127.0.0.1:{b.http_port}")
        self.assertEqual(b.get("/readyz").status, 503)
        self.assertEqual(b.get_json("/readyz")["links"]["sms/primary"], "backing_off")
        self.assertEqual(b.metric("passerelle_starts"), 1)
        self.assertEqual(b.metric("passerelle_sms_submitted_total", smsc="primary"), 3)
        self.assertEqual(b.sigterm(timeout=5), 0)
        self.assertIn("drained", b.proc.stderr_path.read_text())

        b.restart(timeout=10)
        self.assertEqual(b.metric("passerelle_starts"), 2)  # same data_dir
        self.assertEqual(b.kill9(), -signal.SIGKILL)
        b.restart(timeout=10)
        self.assertEqual(b.metric("passerelle_starts"), 3)
        self.assertEqual(b.sigterm(timeout=5), 0)

        with self.assertRaises(ValueError):
            bridge.Bridge(self.tmp, {"http": {"listen": "0.0.0.0:1"}}, binary=fake)
        broken = bridge.Bridge(self.tmp / "broken", binary=shutil.which("false"))
        with self.assertRaises(bridge.BridgeError):
            broken.start(timeout=5)


if __name__ == "__main__":
    unittest.main()
