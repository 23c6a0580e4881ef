"""Invariant 3 for sync: a sync in mode `both` with new mail, flag changes
and deletions pending on both sides, stopped at every crash point in turn
(every remote-changing command is one), then resumed; and a 500-message
sync in mode `move` killed with SIGKILL at random moments. Afterwards every
message exists exactly once on each side it should, and nothing was
deleted that should not have been."""
import collections
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import BIN, init_data, make_message
from peers.fixtures import dovecot_module, fault_proxy, peer_ca  # noqa: F401
from synchelp import add_account, local_uid, remote_uid, sync

CRASH_EXIT = 86


def prepare(base, dov, proto, name):
    """A synced account with changes pending on both sides."""
    dov.reset()
    for i in range(6):
        dov.append("alice", "INBOX", make_message(msgid=f"m{i}@x",
                                                  subject=f"m{i}"))
    cfx = init_data(base, name)
    cfx.add_user("alice")
    add_account(cfx, dov, "alice", "acct", proto=proto, mode="both")
    assert sync(cfx).returncode == 0
    dov.append("alice", "INBOX", make_message(msgid="n0@x", subject="n0"))
    dov.append("alice", "INBOX", make_message(msgid="n1@x", size=200_000))
    dov.expunge_uids("alice", "INBOX", [remote_uid(dov, "alice", "m0@x")])
    cfx.run("store", "expunge", "alice", "INBOX",
            str(local_uid(cfx, "alice", "m1@x")))
    if proto == "imap":
        dov.set_flags("alice", "INBOX", [remote_uid(dov, "alice", "m2@x")],
                      ["\\Flagged"])
        cfx.run("store", "flags", "alice", "INBOX",
                str(local_uid(cfx, "alice", "m3@x")), "+\\Seen")
    return cfx


EXPECTED = {"m2@x", "m3@x", "m4@x", "m5@x", "n0@x", "n1@x"}


def verify(cfx, dov, proto, label):
    here = collections.Counter(r[3] for r in cfx.messages("alice"))
    there = collections.Counter(m["message_id"]
                                for m in dov.messages("alice", body=False))
    assert here == {k: 1 for k in EXPECTED}, (label, here)
    assert there == {k: 1 for k in EXPECTED}, (label, there)
    if proto == "imap":
        flags = {r[3]: r[2] for r in cfx.messages("alice")}
        assert flags["m2@x"] == "F", (label, flags)
        rflags = {m["message_id"]: m["flags"]
                  for m in dov.messages("alice", body=False)}
        assert rflags["m3@x"] == ["\\Seen"], (label, rflags)
    # A crash between a flag change's commit and its file rename leaves
    # the name behind the index (harmless: files are found by their base
    # name); the repair renames it, and then files and index agree.
    repair = cfx.check(repair=True)
    assert b"0 unindexed files, 0 missing files" in repair.stdout, \
        (label, repair.stdout)
    check = cfx.check()
    assert check.returncode == 0, (label, check.stdout)


def crash_points(cfx, base):
    trace = base / f"trace-{time.monotonic_ns()}"
    tdir = trace.parent
    os.chmod(tdir, 0o777)
    r = sync(cfx, env={"CONFLUX_CRASH_TRACE": str(trace)})
    assert r.returncode == 0, r.stdout + r.stderr
    return [line.split()[1] for line in trace.read_text().splitlines()]


@pytest.mark.parametrize("proto", ["imap", "pop3"])
def test_every_crash_point_of_a_two_way_sync(base_dir, dovecot_module, proto):
    dov = dovecot_module
    probe = prepare(base_dir, dov, proto, "probe")
    points = crash_points(probe, base_dir)
    verify(probe, dov, proto, "no crash")
    remote = [p for p in points if p.startswith("remote.")]
    if proto == "imap":
        assert "remote.imap.store" in remote and \
            "remote.imap.expunge" in remote
    else:
        assert "remote.pop3.dele" in remote and "remote.pop3.quit" in remote
    assert "db.commit" in points and "store.rename" in points
    for n in range(1, len(points) + 1):
        cfx = prepare(base_dir, dov, proto, f"crash-{n}")
        r = sync(cfx, env={"CONFLUX_CRASH_AT": str(n)})
        assert r.returncode == CRASH_EXIT, (n, points[n - 1], r.stdout)
        # resume: one sync carries on, a second must find nothing to do
        r = sync(cfx)
        assert r.returncode == 0, (n, points[n - 1], r.stdout + r.stderr)
        r = sync(cfx)
        assert r.returncode == 0, (n, points[n - 1], r.stdout)
        assert b"0 fetched, 0 linked, 0 deleted here, 0 deleted there" \
            in r.stdout, (n, points[n - 1], r.stdout)
        verify(cfx, dov, proto, f"crash at {n} ({points[n - 1]})")


def test_sigkill_during_a_500_message_move(base_dir, dovecot_module,
                                           fault_proxy):
    dov = dovecot_module
    dov.reset()
    rng = random.Random(3)
    expected = set()
    for i in range(500):
        msgid = f"k{i}@x"
        expected.add(msgid)
        dov.append("alice", "INBOX", make_message(
            msgid=msgid, size=rng.choice([1500, 4000, 12000, 40000])))
    cfx = init_data(base_dir)
    cfx.add_user("alice")
    # A slightly slowed link: however fast the sync gets, the 500 messages
    # take long enough for 30 kills to land while work remains.
    px = fault_proxy("127.0.0.1", dov.imap_port, delay=0.002)
    add_account(cfx, dov, "alice", "acct", mode="move", port=px.port,
                extra=["--folder", "INBOX"])
    kills = 0
    for attempt in range(300):
        left = len(dov.messages("alice", body=False))
        if left == 0:
            break
        proc = subprocess.Popen([BIN, "-c", str(cfx.conf), "sync"],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # Killed anywhere: start-up, listing, fetching, committing,
        # deleting; the delays are short so the work spans many kills.
        time.sleep(rng.uniform(0.02, 0.12) if kills < 40 else 2.0)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        here = collections.Counter(r[3] for r in cfx.messages("alice"))
        there = {m["message_id"] for m in dov.messages("alice", body=False)}
        # never lost: every message is here or still there
        assert set(here) | there >= expected, (attempt, expected - set(here) - there, {k: v for k, v in here.items() if v > 1 or k == "-"})
    assert kills >= 30, kills
    px.delay = 0
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    here = collections.Counter(r[3] for r in cfx.messages("alice"))
    assert here == {m: 1 for m in expected}
    assert dov.messages("alice", body=False) == []
    assert cfx.check().returncode == 0
