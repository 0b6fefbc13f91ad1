"""The command line as a user meets it: version, config errors with their position,
missing files, and a clean exit on SIGTERM.

    /usr/bin/python3 -m unittest tests.integration.test_cli -v
"""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lib.bridge import Bridge  # noqa: E402
from lib.procs import HarnessTestCase  # noqa: E402
from lib.require import skip_unless  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@skip_unless(Bridge.binary_available(), "needs the passerelle binary")
class Cli(HarnessTestCase):
    def run_cli(self, *args, env=None):
        binary = Bridge(self.tmp).binary
        full_env = {k: v for k, v in os.environ.items() if k != "PASSERELLE_CONFIG"}
        full_env.update(env or {})
        return subprocess.run([binary, *args], capture_output=True, text=True, timeout=30, cwd=self.tmp,
                              env=full_env, stdin=subprocess.DEVNULL)

    def test_version(self):
        for args in (["--version"], ["version"]):
            r = self.run_cli(*args)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"^passerelle \d+\.\d+\.\d+")

    def test_example_config_checks(self):
        r = self.run_cli("check-config", "--config", os.path.join(REPO, "config", "passerelle.example.toml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ok", r.stdout)
        self.assertNotIn("change-me", r.stdout)  # secrets are never printed
        self.assertIn("(set)", r.stdout)

    def test_config_errors_name_file_line_column_key_and_suggest(self):
        path = self.tmp / "bad.toml"
        path.write_text('[sms]\nsender_numbers = ["+33700000001"]\n[[sms.smsc]]\nname = "a"\n'
                        'throughtput = 5\nwindow = "ten"\n')
        r = self.run_cli("check-config", "--config", str(path))
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad.toml:5:1: sms.smsc[0].throughtput: unknown key, did you mean 'throughput'?", r.stderr)
        self.assertIn("bad.toml:6:10: sms.smsc[0].window: expected an integer from 1 to 1024", r.stderr)
        # run refuses the same file before starting anything
        r = self.run_cli("run", "--config", str(path))
        self.assertEqual(r.returncode, 2)
        self.assertIn("throughtput", r.stderr)

    def test_toml_syntax_error_has_a_position(self):
        path = self.tmp / "syntax.toml"
        path.write_text('[bridge]\ndomain = "example.org\n')
        r = self.run_cli("check-config", "--config", str(path))
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr, r"syntax\.toml:2:\d+:")

    def test_missing_config_says_where_it_looked(self):
        r = self.run_cli("run", "--config", "nope.toml")
        self.assertEqual(r.returncode, 2)
        self.assertIn("nope.toml", r.stderr)
        r = self.run_cli("check-config", env={"PASSERELLE_CONFIG": "/nonexistent/p.toml"})
        self.assertEqual(r.returncode, 2)
        self.assertIn("$PASSERELLE_CONFIG", r.stderr)

    def test_open_admin_bind_needs_token_and_tls(self):
        path = self.tmp / "open.toml"
        path.write_text('[http]\nlisten = "0.0.0.0:8480"\n')
        r = self.run_cli("check-config", "--config", str(path))
        self.assertEqual(r.returncode, 2)
        self.assertIn("not a loopback address", r.stderr)

    def test_no_subcommand_is_a_usage_error(self):
        r = self.run_cli()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("subcommand", r.stderr + r.stdout)

    def test_sigterm_exits_zero_and_admin_answers(self):
        b = Bridge(self.tmp)
        b.start()
        self.assertEqual(b.get("/healthz").status, 200)
        self.assertEqual(b.get("/nope").status, 404)
        self.assertEqual(b.request("POST", "/metrics").status, 405)
        metrics = b.get("/metrics").body.decode()
        self.assertIn("passerelle_outbox_depth", metrics)
        self.assertIn("passerelle_reports_waiting 0", metrics)
        self.assertIn("passerelle_store_failures 0", metrics)
        ready = b.get_json("/readyz")
        self.assertEqual(ready["outbox"]["reports_waiting"], 0)
        self.assertEqual(ready["store"]["failures"], 0)
        self.assertEqual(b.sigterm(), 0)

    def test_json_logs_are_one_object_per_line(self):
        # A data directory whose name needs escaping: the log lines that name it stay JSON.
        b = Bridge(self.tmp / 'odd "dir" \\ here', {"log": {"format": "json", "level": "debug"}})
        b.start()
        self.assertEqual(b.sigterm(), 0)
        lines = (b.workdir / "passerelle.stderr.log").read_text().splitlines()
        records = [json.loads(line) for line in lines if line.strip()]
        self.assertGreater(len(records), 3)
        for r in records:
            self.assertEqual(set(r), {"ts_ms", "level", "logger", "msg"}, r)
            self.assertIsInstance(r["ts_ms"], int)
            self.assertIn(r["level"], {"trace", "debug", "info", "warning", "error", "critical"})
        messages = [r["msg"] for r in records]
        self.assertTrue(any('odd "dir" \\ here' in m for m in messages), messages)
        self.assertIn("passerelle stopped cleanly", messages)

    def test_port_in_use_is_a_clear_error(self):
        first = Bridge(self.tmp / "one")
        first.start()
        second = Bridge(self.tmp / "two", {"http": {"listen": f"127.0.0.1:{first.http_port}"}})
        r = subprocess.run([second.binary, "run", "--config", str(second.write_config())], capture_output=True,
                           text=True, timeout=30, cwd=self.tmp, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot listen on", r.stderr)


if __name__ == "__main__":
    unittest.main()
