"""The model-based IMAP stress tester (tests/stress/imapstress.py) against
conflux's IMAP server, with the same run against a throwaway Dovecot as the
control, and a check that the tester does notice a server that lies.

A short run: IMAPSTRESS_CLIENTS (10) clients for IMAPSTRESS_SECONDS (15)
on three shared mailboxes of two users. The long run is manual (see
tests/stress/README.md)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import skip_peer_control_under_asan
from peers.fixtures import dovecot, peer_ca  # noqa: F401

try:
    from served import served  # noqa: F401
except ImportError:             # the lead's fixture not there yet
    served = None

STRESS = Path(__file__).resolve().parents[1] / "stress"
SCRIPT = STRESS / "imapstress.py"
CLIENTS = int(os.environ.get("IMAPSTRESS_CLIENTS", "10"))
SECONDS = float(os.environ.get("IMAPSTRESS_SECONDS", "15"))


def run_stress(port, users, clients=CLIENTS, seconds=SECONDS, seed=1,
               extra=()):
    cmd = [sys.executable, str(SCRIPT), "--host", "127.0.0.1",
           "--port", str(port),
           "--users", ",".join(f"{u}:{pw}" for u, pw in users),
           "--clients", str(clients), "--seconds", str(seconds),
           "--seed", str(seed), *extra]
    proc = subprocess.run(cmd, capture_output=True,
                          timeout=seconds + 180)
    return proc.returncode, proc.stdout.decode(errors="replace") + \
        proc.stderr.decode(errors="replace")


def summary(out):
    """The counts at the end (and the first errors) for an assertion."""
    errs = [line for line in out.splitlines() if "ERROR" in line][:15]
    tail = out[out.rfind("commands in"):] if "commands in" in out else out
    return "\n".join(errs) + "\n...\n" + tail[-3000:]


def test_stress_conflux(request):
    if served is None:
        pytest.fail("tests/integration/served.py (fixture `served`) missing")
    srv = request.getfixturevalue("served")
    rc, out = run_stress(srv.imap_port, [("alice", "secret-pw"),
                                         ("bob", "secret-pw")])
    assert rc == 0, f"imapstress against conflux:\n{summary(out)}\n" \
                    f"serve log tail:\n{srv.log()[-3000:]}"
    assert "state errors: 0" in out and "protocol errors: 0" in out
    assert srv.alive()


def test_stress_dovecot_control(dovecot):  # noqa: F811
    skip_peer_control_under_asan()
    rc, out = run_stress(dovecot.imap_port,
                         [(u, dovecot.password(u)) for u in ("alice", "bob")])
    assert rc == 0, f"imapstress against Dovecot:\n{summary(out)}"
    assert "state errors: 0" in out


@pytest.mark.parametrize("mode", ["dropexpunge", "body", "keyword"])
def test_stress_notices_a_lying_server(dovecot, mode):  # noqa: F811
    skip_peer_control_under_asan()
    sys.path.insert(0, str(STRESS))
    from mutproxy import MutatingProxy
    px = MutatingProxy("127.0.0.1", dovecot.imap_port, mode).start()
    try:
        rc, out = run_stress(px.port, [("alice", dovecot.password("alice"))],
                             clients=6, seconds=6,
                             extra=["--max-errors", "3"])
    finally:
        px.stop()
    assert px.hits > 0, out[-2000:]
    assert rc == 1 and "state errors: 0" not in out, summary(out)
