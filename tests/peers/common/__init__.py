"""What the in-tree protocol test servers (tests/peers/<protocol>/) share:

- `channel`: the JSON-lines control channel, both ends: `serve` answers one control
  connection on the server's asyncio loop, `Control` is the tests' blocking client
  (`ControlError` when a command fails or the channel closes);
- `eventlog`: the server's event log (`EventLog`: numbered, timestamped events, kept in
  a bounded deque, selected by `since` and `kind`);
- `lifecycle`: the server process's side of that: announce the ready object (stdout and
  --ready-file, written atomically), stop on SIGTERM/SIGINT, log lines on stderr;
- `harness`: `ServerProc`, the base of the harnesses that start a server as a
  subprocess (through tests/integration/lib/procs.py), read its --ready-file, talk to
  its control channel and stop it by PID.

`test_channel.py` is the self-test of `channel` and `eventlog`. Each server keeps its own
commands, its own extra event filters and its own command line.
"""
