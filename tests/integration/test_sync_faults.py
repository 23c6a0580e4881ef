"""Sync against peers that fail: connections cut mid-message, servers that
lie or answer garbage. Each gives a clear error, loses nothing, deletes
nothing it should not, and a later sync converges (issue 3, faults)."""
import collections

import pytest

from conftest import make_message
from peers.fixtures import bad_server, dovecot, fault_proxy, peer_ca  # noqa
from synchelp import add_account, local_ids, remote_ids, sync


def point_at(cfx, port, proto, mode="both", name="acct"):
    return cfx.run("account", "add", "alice", name, "--proto", proto,
                   "--host", "127.0.0.1", "--port", str(port), "--tls",
                   "none", "--login", "alice", "--mode", mode,
                   input="pw\n")


def assert_store_clean(cfx):
    r = cfx.check()
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("proto", ["imap", "pop3"])
def test_connection_cut_mid_message(cfx, dovecot, fault_proxy, proto):
    for i in range(5):
        dovecot.append("alice", "INBOX", make_message(
            msgid=f"cut{i}@x", size=60_000))
    port = dovecot.imap_port if proto == "imap" else dovecot.pop3_port
    px = fault_proxy("127.0.0.1", port, drop_after=150_000)
    add_account(cfx, dovecot, "alice", "acct", proto=proto, mode="move",
                port=px.port)
    r = sync(cfx)
    assert r.returncode == 1, r.stdout
    assert px.drops == 1
    assert b"FAILED" in r.stdout
    stored = local_ids(cfx, "alice")
    assert all(v == 1 for v in stored.values())
    # whatever was not stored here is still there
    assert set(remote_ids(dovecot, "alice")) >= \
        {f"cut{i}@x" for i in range(5)} - set(stored)
    assert_store_clean(cfx)
    px.drop_after = None
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert local_ids(cfx, "alice") == {f"cut{i}@x": 1 for i in range(5)}
    assert remote_ids(dovecot, "alice") == {}


def test_imap_literal_shorter_than_announced(cfx, bad_server):
    srv = bad_server("imap_short_literal")
    point_at(cfx, srv.port, "imap", mode="move")
    r = sync(cfx)
    assert r.returncode == 1
    assert cfx.messages("alice") == []      # no partial message
    assert srv.count("UID EXPUNGE") == 0 and srv.count("EXPUNGE") == 0
    assert_store_clean(cfx)


@pytest.mark.parametrize("scenario", ["imap_size_lies_small",
                                      "imap_size_lies_large"])
def test_imap_size_that_lies(cfx, bad_server, scenario):
    srv = bad_server(scenario)
    point_at(cfx, srv.port, "imap", mode="fetch")
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    body = srv.mailbox[0]["body"]
    rows = {row[0]: row for row in cfx.messages("alice")}
    stored = [row for row in rows.values()
              if open(row[4], "rb").read() == body]
    assert len(stored) == 1
    assert stored[0][1] == len(body)       # the real size, not the claim


def test_imap_expunge_in_the_middle_of_a_fetch(cfx, bad_server):
    srv = bad_server("imap_expunge_mid_fetch")
    point_at(cfx, srv.port, "imap", mode="both")
    sync(cfx)
    sync(cfx)
    ids = local_ids(cfx, "alice")
    assert all(v == 1 for v in ids.values())
    assert_store_clean(cfx)


def test_imap_bye_mid_session(cfx, bad_server):
    srv = bad_server("imap_bye_mid_session")
    point_at(cfx, srv.port, "imap", mode="both")
    r = sync(cfx)
    assert r.returncode == 1
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    assert len(cfx.messages("alice")) == len(srv.mailbox)


@pytest.mark.parametrize("scenario,proto", [
    ("imap_garbage_greeting", "imap"), ("imap_garbage_login", "imap"),
    ("pop3_garbage_greeting", "pop3")])
def test_garbage_is_a_clear_error(cfx, bad_server, scenario, proto):
    srv = bad_server(scenario)
    point_at(cfx, srv.port, proto)
    r = sync(cfx)
    assert r.returncode == 1
    lines = r.stdout.decode().splitlines()
    assert lines[0].startswith("alice/acct: FAILED")
    assert len(lines[1]) > len("alice/acct: ")
    assert cfx.messages("alice") == []


def test_pop3_duplicate_uidls_delete_nothing(cfx, bad_server):
    srv = bad_server("pop3_duplicate_uidl")
    point_at(cfx, srv.port, "pop3", mode="move")
    r = sync(cfx)
    assert r.returncode == 1
    assert b"twice" in r.stdout
    assert srv.count("DELE") == 0


def test_pop3_without_uidl(cfx, bad_server):
    srv = bad_server("pop3_no_uidl")
    point_at(cfx, srv.port, "pop3", mode="fetch")
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    assert len(cfx.messages("alice")) == len(srv.mailbox)
    r = sync(cfx)
    assert b"0 fetched" in r.stdout         # fingerprints are stable ids


@pytest.mark.parametrize("scenario,committed", [
    ("pop3_dele_then_drop", True),
    ("pop3_dele_then_drop_uncommitted", False)])
def test_pop3_quit_lost(cfx, bad_server, scenario, committed):
    srv = bad_server(scenario)
    n = len(srv.mailbox)
    point_at(cfx, srv.port, "pop3", mode="move")
    r = sync(cfx)
    assert r.returncode == 1               # deletions not confirmed
    assert b"pending" in r.stdout
    assert len(cfx.messages("alice")) == n
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    # either way: gone there in the end, exactly once here
    assert srv.mailbox == []
    ids = collections.Counter(row[4] for row in cfx.messages("alice"))
    assert len(cfx.messages("alice")) == n and len(ids) == n
    if not committed:
        assert srv.count("DELE") >= 2 * n  # retried


def test_pop3_retr_cut(cfx, bad_server):
    srv = bad_server("pop3_retr_cut")
    point_at(cfx, srv.port, "pop3", mode="move")
    r = sync(cfx)
    assert r.returncode == 1
    assert srv.count("DELE") == 0 or len(cfx.messages("alice")) >= 1
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    assert len(cfx.messages("alice")) == 3
    assert_store_clean(cfx)


def test_pop3_uidl_reset_is_remapped_not_deleted(cfx, bad_server):
    from peers.badserver import make_body
    mailbox = [{"uid": i + 1, "uidl": f"old-{i}", "body": make_body(i),
                "flags": []} for i in range(12)]
    srv = bad_server(proto="pop3", mailbox=mailbox)
    point_at(cfx, srv.port, "pop3", mode="both")
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    assert len(cfx.messages("alice")) == 12
    # the server renumbers every UIDL (a restore, a migration)
    for i, m in enumerate(srv.mailbox):
        m["uidl"] = f"new-{i}"
    r = sync(cfx)
    assert r.returncode == 0, r.stdout + r.stderr
    assert b"identity changed" in r.stderr
    assert b"0 fetched" in r.stdout         # re-mapped by Message-ID + size
    assert b"0 deleted here, 0 deleted there" in r.stdout
    assert srv.count("DELE") == 0
    assert len(cfx.messages("alice")) == 12
    # and the new ids are tracked: deleting here reaches the server
    cfx.run("store", "expunge", "alice", "INBOX", "1")
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    assert len(srv.mailbox) == 11


def test_guard_threshold_from_config(cfx, dovecot):
    text = cfx.conf.read_text().replace("max_delete_percent = 25",
                                        "max_delete_percent = 60")
    cfx.conf.write_text(text)
    for i in range(20):
        dovecot.append("alice", "INBOX", make_message(msgid=f"g{i}@x"))
    add_account(cfx, dovecot, "alice", "acct", mode="both")
    assert sync(cfx).returncode == 0
    uids = [m["uid"] for m in dovecot.messages("alice", body=False)][:10]
    dovecot.expunge_uids("alice", "INBOX", uids)     # 50% < 60%
    r = sync(cfx)
    assert r.returncode == 0, r.stdout
    assert len(cfx.messages("alice")) == 10
