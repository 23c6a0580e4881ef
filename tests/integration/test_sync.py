"""Consolidation against a real Dovecot: every mode over IMAP and POP3, TLS,
several accounts, identity changes, flags, guard, bad peers (issue 3)."""
import json
import os
import subprocess

import pytest

from conftest import IS_ROOT, init_data, make_message
from peers.dovecot import Dovecot
from peers.fixtures import bad_server, dovecot, fault_proxy, peer_ca  # noqa
from synchelp import (add_account, local_ids, local_uid, remote_ids,
                      remote_uid, sync)


def seed(dov, user="alice", n=3, folder="INBOX", prefix="m"):
    for i in range(n):
        dov.append(user, folder, make_message(msgid=f"{prefix}{i}@x",
                                              subject=f"{prefix} {i}"))


# What each side holds after: one message deleted on the server (m0) and
# another deleted here (m1), then a sync.
MODE_RESULT = {
    "fetch": ({"m1@x"} ^ {"m0@x", "m1@x", "m2@x"} | {"m0@x"},
              {"m1@x", "m2@x"}),
    "forward": ({"m2@x"}, {"m1@x", "m2@x"}),
    "reverse": ({"m0@x", "m2@x"}, {"m2@x"}),
    "both": ({"m2@x"}, {"m2@x"}),
}


@pytest.mark.parametrize("proto", ["imap", "pop3"])
@pytest.mark.parametrize("mode", ["fetch", "forward", "reverse", "both"])
def test_modes(cfx, dovecot, proto, mode):
    seed(dovecot)
    add_account(cfx, dovecot, "alice", "acct", proto=proto, mode=mode)
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"3 fetched" in r.stdout
    assert set(local_ids(cfx, "alice")) == {"m0@x", "m1@x", "m2@x"}
    dovecot.expunge_uids("alice", "INBOX", [remote_uid(dovecot, "alice", "m0@x")])
    cfx.run("store", "expunge", "alice", "INBOX",
            str(local_uid(cfx, "alice", "m1@x")))
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    here, there = MODE_RESULT[mode]
    assert set(local_ids(cfx, "alice")) == here
    assert set(remote_ids(dovecot, "alice")) == there
    # converged: nothing moves, nothing is fetched again
    r = sync(cfx)
    assert r.returncode == 0
    assert b"0 fetched, 0 linked, 0 deleted here, 0 deleted there" in r.stdout
    assert all(v == 1 for v in local_ids(cfx, "alice").values())


@pytest.mark.parametrize("proto", ["imap", "pop3"])
def test_move(cfx, dovecot, proto):
    seed(dovecot, n=4)
    add_account(cfx, dovecot, "alice", "acct", proto=proto, mode="move")
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert set(local_ids(cfx, "alice")) == {f"m{i}@x" for i in range(4)}
    assert remote_ids(dovecot, "alice") == {}
    assert b"4 deleted there" in r.stdout


@pytest.mark.parametrize("proto,tls", [("imap", "starttls"),
                                       ("imap", "implicit"),
                                       ("pop3", "starttls"),
                                       ("pop3", "implicit")])
def test_tls(cfx, dovecot, proto, tls):
    seed(dovecot, n=2)
    add_account(cfx, dovecot, "alice", "acct", proto=proto, tls=tls,
                mode="fetch")
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert set(local_ids(cfx, "alice")) == {"m0@x", "m1@x"}


def test_imap_all_folders_special_use_and_prefix(cfx, dovecot):
    seed(dovecot, n=2)
    dovecot.create_folder("alice", "Projects/2026")
    seed(dovecot, n=1, folder="Projects/2026", prefix="p")
    seed(dovecot, n=1, folder="Sent", prefix="s")
    add_account(cfx, dovecot, "alice", "plain", mode="fetch")
    add_account(cfx, dovecot, "bob", "work", mode="fetch",
                remote_user="alice", extra=["--prefix", "Work/"])
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert set(local_ids(cfx, "alice", "Projects/2026")) == {"p0@x"}
    assert set(local_ids(cfx, "alice", "Sent")) == {"s0@x"}
    assert set(local_ids(cfx, "bob", "Work/INBOX")) == {"m0@x", "m1@x"}
    assert set(local_ids(cfx, "bob", "Work/Projects/2026")) == {"p0@x"}


def test_only_named_folders(cfx, dovecot):
    seed(dovecot, n=1)
    dovecot.create_folder("alice", "Skip")
    seed(dovecot, n=1, folder="Skip", prefix="k")
    add_account(cfx, dovecot, "alice", "acct", mode="fetch",
                extra=["--folder", "INBOX"])
    assert sync(cfx).returncode == 0
    folders = cfx.run("store", "folders", "alice").stdout.decode()
    assert "Skip" not in folders


def test_bytes_are_kept(cfx, dovecot):
    body = make_message(msgid="exact@x", body="caf\xe9\r\n".encode(
        "latin-1").decode("latin-1") + "line\r\n")
    dovecot.append("alice", "INBOX", body)
    add_account(cfx, dovecot, "alice", "imap", mode="fetch")
    assert sync(cfx).returncode == 0
    (_, size, _, _, path), = cfx.messages("alice")
    with open(path, "rb") as f:
        assert f.read() == body
    assert size == len(body)


def test_flags_both_ways(cfx, dovecot):
    seed(dovecot, n=2)
    add_account(cfx, dovecot, "alice", "acct", mode="both")
    assert sync(cfx).returncode == 0
    dovecot.set_flags("alice", "INBOX", [remote_uid(dovecot, "alice", "m0@x")],
                      ["\\Flagged", "$Work"])
    cfx.run("store", "flags", "alice", "INBOX",
            str(local_uid(cfx, "alice", "m1@x")), "+\\Seen")
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"1 flagged here, 1 flagged there" in r.stdout
    flags = {r[3]: r[2] for r in cfx.messages("alice")}
    assert flags["m0@x"] == "F"
    remote = {m["message_id"]: m["flags"] for m in dovecot.messages("alice")}
    assert remote["m1@x"] == ["\\Seen"]
    assert "$Work" in remote["m0@x"]


def test_same_message_two_accounts_stored_once(cfx, dovecot):
    msg = make_message(msgid="shared@x", subject="to both")
    dovecot.append("alice", "INBOX", msg)
    dovecot.append("bob", "INBOX", msg)
    # same Message-ID, other content; and one without a Message-ID
    dovecot.append("bob", "INBOX", make_message(msgid="shared@x", subject="x"))
    dovecot.append("bob", "INBOX", make_message(subject="no id"))
    add_account(cfx, dovecot, "alice", "one", proto="imap", mode="both")
    add_account(cfx, dovecot, "alice", "two", proto="pop3", mode="both",
                remote_user="bob")
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert local_ids(cfx, "alice") == {"shared@x": 2, "-": 1}
    assert b"1 linked" in r.stdout
    # deleted here: deleted on every account that had it
    uid = min(r[0] for r in cfx.messages("alice") if r[3] == "shared@x")
    cfx.run("store", "expunge", "alice", "INBOX", str(uid))
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert remote_ids(dovecot, "alice") == {}
    assert remote_ids(dovecot, "bob") == {"shared@x": 1, None: 1}


def test_uidvalidity_reset_remaps_without_download(cfx, dovecot):
    dovecot.create_folder("alice", "Box")
    msgs = [make_message(msgid=f"b{i}@x", subject=f"b{i}") for i in range(5)]
    msgs.append(make_message(subject="no message-id"))
    for m in msgs:
        dovecot.append("alice", "Box", m)
    add_account(cfx, dovecot, "alice", "acct", mode="both")
    assert sync(cfx).returncode == 0
    dovecot.recreate_folder("alice", "Box")
    for m in msgs:
        dovecot.append("alice", "Box", m)
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"0 deleted here, 0 deleted there" in r.stdout
    assert b"identity changed" in r.stderr
    assert sorted(local_ids(cfx, "alice", "Box").values()) == [1] * 6
    # and deletions flow again afterwards
    dovecot.expunge_uids("alice", "Box", [remote_uid(dovecot, "alice",
                                                     "b0@x", "Box")])
    assert sync(cfx).returncode == 0
    assert "b0@x" not in local_ids(cfx, "alice", "Box")


def test_wrong_password(cfx, dovecot):
    seed(dovecot, n=1)
    add_account(cfx, dovecot, "alice", "acct", password="not-it")
    r = sync(cfx)
    assert r.returncode == 1
    assert b"FAILED" in r.stdout
    assert b"not-it" not in r.stdout + r.stderr
    assert cfx.messages("alice") == []
    status = json.loads(cfx.run("status", "--json").stdout)
    assert status[0]["failures"] == 1 and status[0]["last_error"]


def test_tls_certificate_mismatch_is_refused(cfx, peer_ca):
    wrong = Dovecot(users=["alice"], ca=peer_ca,
                    extra=f"ssl_cert = <{peer_ca.wrong_cert}\n"
                          f"ssl_key = <{peer_ca.wrong_key}\n")
    wrong.start()
    try:
        seed(wrong, n=1)
        add_account(cfx, wrong, "alice", "acct", tls="implicit",
                    host="localhost")
        r = sync(cfx)
        assert r.returncode == 1
        assert b"certificate" in r.stdout.lower() or b"host" in r.stdout
        assert cfx.messages("alice") == []
        # the untrusted chain is refused without --ca-file too
        add_account(cfx, wrong, "bob", "acct", tls="implicit",
                    remote_user="alice",
                    extra=["--pin", "00" * 32])
        r = sync(cfx, "bob")
        assert r.returncode == 1 and b"pinned" in r.stdout
    finally:
        wrong.stop()


def test_deletion_guard(cfx, dovecot):
    seed(dovecot, n=24)
    add_account(cfx, dovecot, "alice", "acct", mode="both")
    assert sync(cfx).returncode == 0
    uids = [m["uid"] for m in dovecot.messages("alice", body=False)][:12]
    dovecot.expunge_uids("alice", "INBOX", uids)
    r = sync(cfx)
    assert r.returncode == 1
    assert b"--allow-mass-delete" in r.stdout
    assert len(cfx.messages("alice")) == 24
    r = sync(cfx, "--allow-mass-delete")
    assert r.returncode == 0, r.stdout
    assert len(cfx.messages("alice")) == 12


def test_dry_run(cfx, dovecot):
    seed(dovecot, n=2)
    add_account(cfx, dovecot, "alice", "acct", mode="both")
    r = sync(cfx, "--dry-run")
    assert r.returncode == 0 and b"2 fetched" in r.stdout
    assert b"dry run" in r.stdout
    assert cfx.messages("alice") == []


def test_several_users_several_accounts(base_dir, peer_ca):
    dov = Dovecot(users=["u1", "u2", "u3"], ca=peer_ca)
    dov.start()
    try:
        cfx = init_data(base_dir)
        for u in ("u1", "u2", "u3"):
            seed(dov, user=u, n=3, prefix=u)
        for local in ("anna", "ben"):
            cfx.add_user(local)
        add_account(cfx, dov, "anna", "a1", remote_user="u1", mode="fetch")
        add_account(cfx, dov, "anna", "a2", remote_user="u2", proto="pop3",
                    mode="both")
        add_account(cfx, dov, "ben", "b1", remote_user="u3", mode="move")
        add_account(cfx, dov, "ben", "b2", remote_user="u1", proto="pop3",
                    tls="starttls", mode="fetch")
        r = sync(cfx)
        assert r.returncode == 0, r.stdout + r.stderr
        assert set(local_ids(cfx, "anna")) == {f"u1{i}@x" for i in range(3)} \
            | {f"u2{i}@x" for i in range(3)}
        assert set(local_ids(cfx, "ben")) == {f"u3{i}@x" for i in range(3)} \
            | {f"u1{i}@x" for i in range(3)}
        assert remote_ids(dov, "u3") == {}
        assert len(json.loads(cfx.run("status", "--json").stdout)) == 4
        r = sync(cfx, "anna", "a2")
        assert r.returncode == 0 and r.stdout.count(b"\n") == 1
    finally:
        dov.stop()


def test_account_commands(cfx, dovecot):
    add_account(cfx, dovecot, "alice", "acct", mode="both")
    out = cfx.run("account", "list", "alice").stdout.decode()
    assert "alice\tacct\timap" in out
    show = cfx.run("account", "show", "alice", "acct").stdout.decode()
    assert "never" in show and dovecot.password("alice") not in show
    r = add_account(cfx, dovecot, "alice", "acct", check=False)
    assert r.returncode != 0 and b"already exists" in r.stderr
    r = cfx.run("account", "add", "alice", "x", "--proto", "smtp", "--host",
                "h", "--login", "l", "--mode", "both", input="pw\n",
                check=False)
    assert r.returncode == 2 and b"--proto" in r.stderr
    r = cfx.run("account", "add", "nobody", "x", "--proto", "imap", "--host",
                "h", "--login", "l", "--mode", "both", input="pw\n",
                check=False)
    assert r.returncode == 67
    cfx.run("account", "del", "alice", "acct")
    assert cfx.run("account", "list").stdout == b""
    db = (cfx.data / "conflux.db").read_bytes()
    assert dovecot.password("alice").encode() not in db


def test_disk_full_stops_and_deletes_nothing_upstream(dovecot, base_dir):
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = base_dir / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0755",
                    "tmpfs", str(mnt)], check=True)
    try:
        for i in range(6):
            dovecot.append("alice", "INBOX", make_message(
                msgid=f"big{i}@x", size=600_000))
        cfx = init_data(mnt)
        cfx.add_user("alice")
        add_account(cfx, dovecot, "alice", "acct", mode="move")
        r = sync(cfx)
        assert r.returncode == 1
        assert b"disk full" in r.stdout or b"No space" in r.stdout
        assert len(remote_ids(dovecot, "alice")) == 6   # nothing deleted
        assert cfx.check().returncode == 0
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def wait_until(pred, timeout=20.0, step=0.1):
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def test_serve_syncs_on_idle_push(cfx, dovecot):
    import signal
    from conftest import BIN
    seed(dovecot, n=1)
    add_account(cfx, dovecot, "alice", "acct", mode="both",
                extra=["--interval", "3600"])
    log = open(cfx.data.parent / "serve.log", "wb")
    proc = subprocess.Popen([BIN, "-c", str(cfx.conf), "serve"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        logtext = lambda: (cfx.data.parent / "serve.log").read_text()
        # the first sync runs at start (jittered), the watch goes idle
        assert wait_until(lambda: "idling on INBOX" in logtext()), logtext()
        assert wait_until(lambda: "m0@x" in local_ids(cfx, "alice"))
        # new mail there: synced within seconds, not after an hour
        dovecot.append("alice", "INBOX", make_message(msgid="pushed@x"))
        assert wait_until(lambda: "pushed@x" in local_ids(cfx, "alice"),
                          timeout=15), logtext()
        # an expunge there too
        dovecot.expunge_uids("alice", "INBOX",
                             [remote_uid(dovecot, "alice", "m0@x")])
        assert wait_until(lambda: "m0@x" not in local_ids(cfx, "alice"),
                          timeout=15), logtext()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


def test_no_change_sync_is_one_select_per_folder(cfx, dovecot, fault_proxy):
    for i in range(200):
        dovecot.append("alice", "INBOX", make_message(msgid=f"q{i}@x"))
    px = fault_proxy("127.0.0.1", dovecot.imap_port)
    add_account(cfx, dovecot, "alice", "acct", mode="both", port=px.port)
    assert sync(cfx).returncode == 0
    px.reset_counters()
    r = sync(cfx)
    assert r.returncode == 0
    # login, LIST, and per folder a SELECT: no listing of 200 messages
    assert px.bytes_down < 4000, px.bytes_down
    # a change there is still seen
    dovecot.append("alice", "INBOX", make_message(msgid="late@x"))
    r = sync(cfx)
    assert b"1 fetched" in r.stdout
    cfx.run("store", "flags", "alice", "INBOX", "1", "+\\Flagged")
    r = sync(cfx)
    assert b"1 flagged there" in r.stdout


def test_one_sync_per_user_at_a_time(cfx, dovecot):
    import sqlite3
    seed(dovecot, n=2)
    add_account(cfx, dovecot, "alice", "acct", mode="both")
    db = sqlite3.connect(cfx.data / "conflux.db")
    # another live process holds alice's syncs (this test's own pid)
    db.execute("INSERT INTO sync_locks VALUES ('alice', ?, 0)",
               (os.getpid(),))
    db.commit()
    r = sync(cfx)
    assert r.returncode == 1
    assert f"already running (pid {os.getpid()})".encode() in r.stdout
    assert cfx.messages("alice") == []
    # a holder that died: its lock is taken over after a store check
    db.execute("UPDATE sync_locks SET pid = 999999")
    db.commit()
    db.close()
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    assert b"previous sync died" in r.stderr
    assert len(cfx.messages("alice")) == 2


def test_serve_stops_cleanly_in_the_middle_of_a_sync(cfx, dovecot,
                                                     fault_proxy):
    import signal
    import time
    from conftest import BIN
    for i in range(300):
        dovecot.append("alice", "INBOX", make_message(msgid=f"t{i}@x",
                                                      size=40_000))
    # a slow link, so that the sync is surely still running at SIGTERM
    px = fault_proxy("127.0.0.1", dovecot.imap_port, delay=0.01)
    add_account(cfx, dovecot, "alice", "acct", mode="move", port=px.port)
    log = cfx.data.parent / "serve.log"
    proc = subprocess.Popen([BIN, "-c", str(cfx.conf), "serve"],
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    assert wait_until(lambda: "sync alice/acct: starting" in log.read_text())
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0, log.read_text()
    assert "shutting down (1 syncs running" in log.read_text()
    here = local_ids(cfx, "alice")
    there = set(remote_ids(dovecot, "alice"))
    assert all(v == 1 for v in here.values())
    assert set(here) | there == {f"t{i}@x" for i in range(300)}
    px.delay = 0
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert local_ids(cfx, "alice") == {f"t{i}@x": 1 for i in range(300)}
    assert remote_ids(dovecot, "alice") == {}


@pytest.mark.parametrize("proto", ["imap", "pop3"])
def test_a_lost_file_is_fetched_again_not_deleted_there(cfx, dovecot, proto):
    seed(dovecot, n=3)
    add_account(cfx, dovecot, "alice", "acct", proto=proto, mode="both")
    assert sync(cfx).returncode == 0
    # the disk loses one message file; the repair drops its row
    path = next(r[4] for r in cfx.messages("alice") if r[3] == "m1@x")
    os.unlink(path)
    r = cfx.check(repair=True)
    assert b"has no file" in r.stdout
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"lost here; fetching it again" in r.stderr
    # invariant 2: not a user's deletion, so nothing is deleted there...
    assert set(remote_ids(dovecot, "alice")) == {"m0@x", "m1@x", "m2@x"}
    # ...and the copy here is restored from the server
    assert local_ids(cfx, "alice") == {"m0@x": 1, "m1@x": 1, "m2@x": 1}
    # a real deletion here still goes through
    cfx.run("store", "expunge", "alice", "INBOX",
            str(local_uid(cfx, "alice", "m0@x")))
    assert sync(cfx).returncode == 0
    assert set(remote_ids(dovecot, "alice")) == {"m1@x", "m2@x"}
