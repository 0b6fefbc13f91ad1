"""Skips that turn into failures where the test command promised every peer.

A test skips when something it drives is missing here (Prosody, the openssl command, the
passerelle binary), so that a developer can run what their machine has. The README's
test command (contrib/test.sh) installs all of them and sets PASSERELLE_REQUIRE_PEERS=1:
there a missing peer fails the test, instead of letting it pass without running."""

from __future__ import annotations

import functools
import os
import unittest


def required() -> bool:
    return os.environ.get("PASSERELLE_REQUIRE_PEERS") == "1"


def skip_unless(condition: bool, reason: str):
    """unittest.skipUnless, except that with PASSERELLE_REQUIRE_PEERS=1 the test fails."""
    if condition or not required():
        return unittest.skipUnless(condition, reason)
    message = (f"{reason}; PASSERELLE_REQUIRE_PEERS=1 says it must be here "
               "(contrib/install-deps.sh installs it)")

    def fail(obj):
        if isinstance(obj, type):
            def set_up_class(cls):
                raise AssertionError(message)
            obj.setUpClass = classmethod(set_up_class)
            return obj

        @functools.wraps(obj)
        def test(*args, **kwargs):
            raise AssertionError(message)
        return test
    return fail
