"""passerelle integration-test harness (see README.md in this directory).

Test modules in tests/integration import it as the top-level package `lib`:

    import os, sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from lib import procs
    from lib.smsc import Smsc
"""
