"""The skips of the integration tests: a missing peer skips a test on a developer's
machine, and fails it where the test command promised every peer."""

from __future__ import annotations

import os
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from lib.require import skip_unless  # noqa: E402


def run(*cases: type) -> unittest.TestResult:
    suite = unittest.TestSuite(unittest.defaultTestLoader.loadTestsFromTestCase(c) for c in cases)
    result = unittest.TestResult()
    suite.run(result)
    return result


def make_cases(condition: bool) -> tuple[type, type]:
    @skip_unless(condition, "needs the thing")
    class WholeClass(unittest.TestCase):
        def test_one(self):
            pass

    class OneMethod(unittest.TestCase):
        @skip_unless(condition, "needs the thing")
        def test_one(self):
            pass

    return WholeClass, OneMethod


class SkipUnless(unittest.TestCase):
    def test_a_missing_peer_skips_by_default(self):
        with mock.patch.dict(os.environ, {"PASSERELLE_REQUIRE_PEERS": ""}):
            result = run(*make_cases(False))
        self.assertEqual(len(result.skipped), 2)
        self.assertTrue(result.wasSuccessful())

    def test_a_missing_peer_fails_where_peers_are_required(self):
        with mock.patch.dict(os.environ, {"PASSERELLE_REQUIRE_PEERS": "1"}):
            result = run(*make_cases(False))
        self.assertFalse(result.wasSuccessful())
        problems = result.errors + result.failures
        self.assertEqual(len(problems), 2)
        for _, text in problems:
            self.assertIn("needs the thing; PASSERELLE_REQUIRE_PEERS=1", text)

    def test_a_peer_that_is_there_runs_the_tests(self):
        for required in ("", "1"):
            with mock.patch.dict(os.environ, {"PASSERELLE_REQUIRE_PEERS": required}):
                result = run(*make_cases(True))
            self.assertEqual(result.testsRun, 2)
            self.assertEqual(len(result.skipped), 0)
            self.assertTrue(result.wasSuccessful())


if __name__ == "__main__":
    unittest.main()
