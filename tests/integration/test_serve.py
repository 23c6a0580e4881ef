"""conflux serve: starts, checks the store, drops privileges, stops on
SIGTERM."""
import os
import pwd
import signal
import subprocess
import time

from conftest import BIN, IS_ROOT, make_message


def start(cfx):
    log = open(cfx.data.parent / "serve.log", "wb")
    proc = subprocess.Popen([BIN, "-c", str(cfx.conf), "serve"],
                            stdout=log, stderr=subprocess.STDOUT)
    return proc, cfx.data.parent / "serve.log"


def wait_for(path, text, proc, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return path.read_text(errors="replace")
        assert proc.poll() is None, path.read_text(errors="replace")
        time.sleep(0.05)
    raise AssertionError(f"'{text}' not logged: {path.read_text()}")


def test_serve_repairs_at_start_and_stops_on_sigterm(cfx):
    assert cfx.deliver("alice", make_message(msgid="s@x")).returncode == 0
    # Leftovers of a crashed writer: an orphaned tmp file (pid 999999 is
    # not running) that the start-up check must remove.
    stray = cfx.maildir("alice") / "tmp" / "1700000000.M1P999999Q1.host"
    stray.write_bytes(b"partial")
    proc, log = start(cfx)
    try:
        text = wait_for(log, "ready", proc)
        assert "stray tmp" in text
        assert not stray.exists()
        if IS_ROOT:
            uid = pwd.getpwnam("conflux").pw_uid
            status = open(f"/proc/{proc.pid}/status").read()
            uids = [line for line in status.splitlines()
                    if line.startswith("Uid:")][0].split()[1:]
            assert all(int(u) == uid for u in uids), uids
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "shutting down" in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [r[3] for r in cfx.messages("alice")] == ["s@x"]


def test_serve_refuses_a_bad_config(cfx):
    cfx.conf.write_text(cfx.conf.read_text() + "\n[server]\nbogus = 1\n")
    proc = subprocess.run([BIN, "-c", str(cfx.conf), "serve"],
                          capture_output=True, timeout=10)
    assert proc.returncode == 2
    assert b"bogus" in proc.stderr
