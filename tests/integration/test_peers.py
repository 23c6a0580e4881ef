"""Self-tests of the real and fake peers in tests/integration/peers/:
the throwaway Dovecot, the CA, the fault proxy, the scripted bad servers
and the message corpus. They need no conflux binary."""
import email
import email.policy
import imaplib
import os
import poplib
import socket
import ssl
import time

import pytest

from peers import LOOPBACK, corpus
from peers.badserver import SCENARIOS, BadServer
from peers.dovecot import Dovecot
from peers.fixtures import (bad_server, dovecot, dovecot_module,  # noqa: F401
                            fault_proxy, peer_ca)


# -- Dovecot ---------------------------------------------------------------

def test_dovecot_starts_fast_and_stops_clean(peer_ca):
    t0 = time.monotonic()
    dov = Dovecot(users=["carol"], ca=peer_ca).start()
    assert time.monotonic() - t0 < 2.0
    pid, ports, d = dov.proc.pid, dov.ports(), dov.dir
    assert oct(os.stat(d).st_mode & 0o777) == "0o711"
    dov.lmtp_deliver("carol", corpus.make_mailbox(1, 3)[0].data)
    assert len(dov.messages("carol")) == 1
    dov.stop()
    assert not d.exists()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)       # nothing of its process group is left
    for port in ports:
        with pytest.raises(OSError):
            socket.create_connection((LOOPBACK, port), timeout=1).close()


def test_two_dovecots_at_once(peer_ca):
    with Dovecot(users=["a"], ca=peer_ca) as one, \
            Dovecot(users=["a"], ca=peer_ca) as two:
        assert not set(one.ports()) & set(two.ports())
        one.append("a", "INBOX", b"Subject: one\r\n\r\n1\r\n")
        assert len(one.messages("a")) == 1 and two.messages("a") == []


CAPS = {"CONDSTORE", "QRESYNC", "IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE",
        "LITERAL+", "ENABLE"}


@pytest.mark.parametrize("tls", [None, "starttls", "implicit"])
def test_imap_login_plain_starttls_implicit(dovecot_module, tls):
    dov = dovecot_module
    c = dov.imap("alice", tls=tls)
    typ, data = c.capability()
    assert typ == "OK"
    assert CAPS <= set(data[0].decode().split())
    if tls:
        assert isinstance(c.sock, ssl.SSLSocket)
        assert c.sock.getpeercert()["subject"] == ((("commonName",
                                                     "localhost"),),)
    c.logout()


def test_imap_tls_checks_certificates(dovecot_module):
    dov = dovecot_module
    # A context without the test CA refuses Dovecot's certificate.
    with pytest.raises(ssl.SSLCertVerificationError):
        dov.imap("alice", tls="implicit", context=ssl.create_default_context())
    c = imaplib.IMAP4_SSL(LOOPBACK, dov.imaps_port, ssl_context=ssl.
                          create_default_context(cafile=str(dov.ca.ca_cert)))
    c.login("alice", dov.password("alice"))
    c.logout()


def test_wrong_name_and_self_signed_certs(peer_ca, bad_server):
    ctx = peer_ca.client_context()
    for which, error in (("wrong", "match"), ("self", "self-signed"),
                         ("server", None)):
        srv = bad_server(proto="pop3",
                         ssl_context=peer_ca.server_context(which))
        if error is None:
            p = poplib.POP3_SSL(LOOPBACK, srv.port, context=ctx, timeout=5)
            assert p.getwelcome().startswith(b"+OK")
            p.quit()
            continue
        with pytest.raises(ssl.SSLCertVerificationError, match=error):
            poplib.POP3_SSL(LOOPBACK, srv.port, context=ctx, timeout=5)


@pytest.mark.parametrize("tls", [None, "stls", "implicit"])
def test_pop3_plain_stls_implicit_and_uidl(dovecot_module, tls):
    dov = dovecot_module
    dov.reset()
    dov.lmtp_deliver("bob", b"Subject: pop\r\nMessage-ID: <p@x>\r\n\r\nhi\r\n")
    p = dov.pop3("bob", tls=tls, login=False)
    assert ("STLS" in p.capa()) == (tls is None)
    p.user("bob")
    p.pass_(dov.password("bob"))
    count, _ = p.stat()
    assert count == 1
    uidl = p.uidl()[1][0].split()[1]
    assert len(uidl) == 16 and int(uidl, 16)      # %08Xu%08Xv
    assert b"Message-ID: <p@x>" in b"\r\n".join(p.retr(1)[1])
    p.quit()


def test_pop3_apop(dovecot_module):
    p = dovecot_module.pop3("alice", apop=True)
    p.quit()


def test_special_use_folders(dovecot_module):
    c = dovecot_module.imap("alice")
    typ, data = c.list('""', '"*"', )
    text = b"\n".join(data).decode()
    for name, use in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"),
                      ("Trash", "\\Trash"), ("Junk", "\\Junk"),
                      ("Archive", "\\Archive")):
        line = [ln for ln in text.splitlines() if ln.endswith(f" {name}")]
        assert line and use in line[0], text
    typ, data = c.lsub('""', '"*"')
    assert len(data) >= 5
    c.logout()


def test_helpers_append_flags_expunge_folders(dovecot_module):
    dov = dovecot_module
    dov.reset()
    uids = [dov.append("alice", "INBOX", corpus.make_mailbox(3, 9)[i].data,
                       flags=("\\Seen",) if i else ())
            for i in range(3)]
    assert uids == [1, 2, 3]
    dov.set_flags("alice", "INBOX", [1, 3], ["\\Flagged"])
    dov.set_flags("alice", "INBOX", [2], ["\\Seen"], op="-")
    dov.expunge_uids("alice", "INBOX", [3])
    msgs = dov.messages("alice")
    assert [(m["uid"], m["flags"]) for m in msgs] == \
        [(1, ["\\Flagged"]), (2, [])]
    assert msgs[0]["body"] == corpus.make_mailbox(3, 9)[0].data
    assert msgs[0]["size"] == len(msgs[0]["body"])
    dov.create_folder("alice", "Projects/Été 2026")
    assert "Projects/Été 2026" in dov.folders("alice")
    assert dov.maildir("alice", "Projects/Été 2026").name == \
        ".Projects.&AMk-t&AOk- 2026"
    dov.append("alice", "Projects/Été 2026", b"Subject: x\r\n\r\nx\r\n")
    assert dov.uids("alice", "Projects/Été 2026") == [1]
    dov.delete_folder("alice", "Projects/Été 2026")
    assert "Projects/Été 2026" not in dov.folders("alice")


def test_recreate_folder_changes_uidvalidity(dovecot_module):
    dov = dovecot_module
    dov.reset()
    dov.append("alice", "Archive", b"Subject: a\r\n\r\na\r\n")
    old, new = dov.recreate_folder("alice", "Archive")
    assert old != new == dov.uidvalidity("alice", "Archive")
    assert dov.messages("alice", "Archive") == []
    assert dov.append("alice", "Archive", b"Subject: b\r\n\r\nb\r\n") == 1


def test_add_user_while_running(dovecot_module):
    dovecot_module.add_user("dave")
    dovecot_module.imap("dave").logout()


def test_fill_dovecot_gives_uids_in_order(dovecot_module):
    dov = dovecot_module
    dov.reset()
    msgs = corpus.make_mailbox(60, 5)
    placed = corpus.fill_dovecot(dov, "alice", msgs,
                                 folders={"INBOX": 2, "Lists/dev": 1})
    assert sum(len(v) for v in placed.values()) == 60
    for folder, rows in placed.items():
        got = dov.messages("alice", folder)
        assert [g["uid"] for g in got] == [u for u, _ in rows]
        assert [g["body"] for g in got] == [m.data for _, m in rows]
        assert [g["flags"] for g in got] == \
            [sorted(m.imap_flags) for _, m in rows]
    # a second fill appends after the existing UIDs
    more = corpus.fill_dovecot(dov, "alice", corpus.make_mailbox(2, 6))
    assert [u for u, _ in more["INBOX"]] == \
        [placed["INBOX"][-1][0] + 1, placed["INBOX"][-1][0] + 2]


# -- fault proxy -------------------------------------------------------------

def _read_all(sock, limit=1 << 20, timeout=5):
    sock.settimeout(timeout)
    data = b""
    while len(data) < limit:
        try:
            got = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not got:
            break
        data += got
    return data


def test_fault_proxy_counts_bytes(dovecot_module, fault_proxy):
    dov = dovecot_module
    px = fault_proxy(LOOPBACK, dov.imap_port)
    c = imaplib.IMAP4(LOOPBACK, px.port)
    c.login("alice", dov.password("alice"))
    c.logout()
    deadline = time.monotonic() + 5
    while px.sessions and px.sessions[0]["up"] == 0 and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    assert px.connections == 1
    assert px.bytes_up > 30 and px.bytes_down > 100
    assert px.bytes_up == px.sessions[0]["up"]


def test_fault_proxy_drops_after_n_bytes_once(dovecot_module, fault_proxy):
    dov = dovecot_module
    px = fault_proxy(LOOPBACK, dov.pop3_port, drop_after=10)
    with socket.create_connection(px.address) as s:
        assert _read_all(s) == b"+OK Doveco"
    assert px.drops == 1 and px.sessions[0]["down"] == 10
    p = poplib.POP3(LOOPBACK, px.port, timeout=5)     # disarmed now
    p.user("alice")
    p.pass_(dov.password("alice"))
    p.quit()


def test_fault_proxy_drops_every_connection(dovecot_module, fault_proxy):
    dov = dovecot_module
    px = fault_proxy(LOOPBACK, dov.imap_port, drop_after=200,
                     drop_every=True)
    for _ in range(2):
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            c = imaplib.IMAP4(LOOPBACK, px.port, timeout=5)
            c.login("alice", dov.password("alice"))
            for _ in range(20):
                c.noop()
                c.capability()
    assert px.drops == 2


def test_fault_proxy_refuses_and_delays(dovecot_module, fault_proxy):
    dov = dovecot_module
    px = fault_proxy(LOOPBACK, dov.pop3_port, refuse=True)
    # Accepted then reset at once: the reset may even beat connect()'s
    # return, so either outcome is a refusal.
    try:
        with socket.create_connection(px.address, timeout=5) as s:
            assert _read_all(s) == b""
    except ConnectionResetError:
        pass
    deadline = time.monotonic() + 2
    while px.refused == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert px.refused == 1
    px.refuse = False
    px.delay = 0.3
    t0 = time.monotonic()
    p = poplib.POP3(LOOPBACK, px.port, timeout=5)
    assert time.monotonic() - t0 >= 0.3
    p.quit()


def test_fault_proxy_close_ends_threads(dovecot_module):
    from peers.faultproxy import FaultProxy
    px = FaultProxy(LOOPBACK, dovecot_module.imap_port)
    s = socket.create_connection(px.address)
    s.recv(100)
    px.close()
    assert not px._acceptor.is_alive()
    assert not any(t.is_alive() for t in px._threads)
    t0 = time.monotonic()
    _read_all(s, timeout=2)         # what was in flight, then EOF
    assert time.monotonic() - t0 < 1.5
    s.close()


# -- bad servers -----------------------------------------------------------

class Raw:
    """A bare line client for servers that break the rules."""

    def __init__(self, port):
        self.s = socket.create_connection((LOOPBACK, port), timeout=5)
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            got = self.s.recv(65536)
            if not got:
                out, self.buf = self.buf, b""
                return out
            self.buf += got
        out, _, self.buf = self.buf.partition(b"\n")
        return out + b"\n"

    def send(self, text):
        self.s.sendall(text.encode() + b"\r\n")

    def rest(self):
        data = self.buf + _read_all(self.s, timeout=3)
        self.buf = b""
        return data

    def close(self):
        self.s.close()


def _imap(srv):
    c = imaplib.IMAP4(LOOPBACK, srv.port, timeout=5)
    c.login("alice", "pw")
    c.select("INBOX")
    return c


def check_imap_short_literal(srv):
    r = Raw(srv.port)
    r.line()
    r.send("a1 LOGIN alice pw")
    assert r.line().startswith(b"a1 OK")
    r.send("a2 SELECT INBOX")
    while not r.line().startswith(b"a2 OK"):
        pass
    r.send("a3 UID FETCH 1 (BODY.PEEK[])")
    head = r.line()
    assert head.endswith(b"{200}\r\n")
    assert len(r.rest()) == 100            # then the server closed
    assert srv.count("UID FETCH") == 1


def _size_and_body(srv):
    c = _imap(srv)
    typ, data = c.uid("FETCH", "1", "(RFC822.SIZE BODY.PEEK[])")
    import re
    size = int(re.search(rb"RFC822\.SIZE (\d+)", data[0][0]).group(1))
    c.logout()
    return size, len(data[0][1])


def check_imap_size_lies_small(srv):
    assert _size_and_body(srv) == (100, 150)


def check_imap_size_lies_large(srv):
    assert _size_and_body(srv) == (150, 100)


def check_imap_expunge_mid_fetch(srv):
    c = _imap(srv)
    typ, data = c.uid("FETCH", "1:*", "(UID RFC822.SIZE)")
    assert typ == "OK"
    assert c.untagged_responses.get("EXPUNGE") == [b"2"]
    assert [d.split()[2] for d in data] == [b"1", b"3"]
    typ, data = c.select("INBOX")
    assert data == [b"2"]
    c.logout()


def check_imap_bye_mid_session(srv):
    c = _imap(srv)
    with pytest.raises(imaplib.IMAP4.abort):
        c.uid("FETCH", "1:*", "(UID)")
    c = _imap(srv)           # only the first FETCH is hit
    assert c.uid("FETCH", "1:*", "(UID)")[0] == "OK"
    c.logout()


def check_imap_garbage_greeting(srv):
    with pytest.raises((imaplib.IMAP4.error, UnicodeDecodeError)):
        imaplib.IMAP4(LOOPBACK, srv.port, timeout=5)


def check_imap_garbage_login(srv):
    r = Raw(srv.port)
    assert r.line().startswith(b"* OK")
    r.send("a1 LOGIN alice pw")
    assert r.line() == b"\x01\x02 NOT-A-RESPONSE \xff\xfe {9999\r\n"
    r.close()
    assert srv.commands == ["LOGIN alice pw"]


def check_pop3_duplicate_uidl(srv):
    p = poplib.POP3(LOOPBACK, srv.port, timeout=5)
    p.user("alice")
    p.pass_("pw")
    assert p.uidl()[1] == [b"1 uidl-dup", b"2 uidl-0002", b"3 uidl-dup"]
    assert p.retr(1)[1] != p.retr(3)[1]
    p.quit()


def _dele_then_quit(srv):
    p = poplib.POP3(LOOPBACK, srv.port, timeout=5)
    p.user("alice")
    p.pass_("pw")
    assert p.dele(1).startswith(b"+OK")
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        p.quit()
    p = poplib.POP3(LOOPBACK, srv.port, timeout=5)
    p.user("alice")
    p.pass_("pw")
    count = p.stat()[0]
    p.quit()
    assert srv.count("DELE") == 1 and srv.count("QUIT") == 2
    return count


def check_pop3_dele_then_drop(srv):
    assert _dele_then_quit(srv) == 2 and srv.committed == [1]


def check_pop3_dele_then_drop_uncommitted(srv):
    assert _dele_then_quit(srv) == 3 and srv.committed == []


def check_pop3_garbage_greeting(srv):
    with pytest.raises(poplib.error_proto):
        poplib.POP3(LOOPBACK, srv.port, timeout=5)


def check_pop3_no_uidl(srv):
    p = poplib.POP3(LOOPBACK, srv.port, timeout=5)
    assert "UIDL" not in p.capa()
    p.user("alice")
    p.pass_("pw")
    with pytest.raises(poplib.error_proto):
        p.uidl()
    assert p.stat()[0] == 3
    p.quit()


def check_pop3_retr_cut(srv):
    p = poplib.POP3(LOOPBACK, srv.port, timeout=5)
    p.user("alice")
    p.pass_("pw")
    assert b"Message-ID: <bad-1@example.org>" in p.retr(1)[1]
    with pytest.raises((poplib.error_proto, OSError, EOFError)):
        p.retr(2)
    p = poplib.POP3(LOOPBACK, srv.port, timeout=5)
    p.user("alice")
    p.pass_("pw")
    assert b"Message-ID: <bad-2@example.org>" in p.retr(2)[1]
    p.quit()
    assert srv.count("RETR 2") == 2


def test_every_scenario_has_a_check():
    assert sorted(SCENARIOS) == sorted(
        n[len("check_"):] for n in globals() if n.startswith("check_"))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_bad_server_scenario(bad_server, name):
    srv = bad_server(name)
    globals()["check_" + name](srv)


def test_bad_server_custom_rules_and_close(bad_server):
    srv = BadServer(proto="imap", rules=[(r"LOGIN", "{tag} NO go away\r\n")])
    c = imaplib.IMAP4(LOOPBACK, srv.port, timeout=5)
    with pytest.raises(imaplib.IMAP4.error, match="go away"):
        c.login("alice", "pw")
    srv.close()
    assert not srv._acceptor.is_alive()
    assert not any(t.is_alive() for t in srv._threads)


# -- corpus ------------------------------------------------------------------

def test_corpus_is_deterministic_and_varied():
    a = corpus.make_mailbox(400, seed=11)
    b = corpus.make_mailbox(400, seed=11)
    assert [m.data for m in a] == [m.data for m in b]
    assert [m.data for m in corpus.make_mailbox(5, seed=12)] != \
        [m.data for m in a[:5]]
    assert [m.data for m in corpus.iter_mailbox(50, seed=11)] == \
        [m.data for m in a[:50]]
    kinds = {m.kind for m in a}
    assert kinds == {"plain", "8bit", "alternative", "mixed", "forward"}
    assert any(m.message_id is None for m in a)
    ids = [m.message_id for m in a if m.message_id]
    assert len(ids) > len(set(ids))           # shared Message-IDs ...
    dup = next(i for i in ids if ids.count(i) > 1)
    same = [m.data for m in a if m.message_id == dup]
    assert len(set(same)) == len(same)        # ... on different content
    heads = b"\n".join(m.data.split(b"\r\n\r\n", 1)[0] for m in a)
    assert b"=?UTF-8?B?" in heads and b"=?ISO-8859-1?Q?" in heads
    assert b"filename*=UTF-8''" in b"".join(m.data for m in a)
    assert any(b"message/rfc822" in m.data for m in a)
    for m in a[:100]:
        assert b"\n" not in m.data.replace(b"\r\n", b"")
        msg = email.message_from_bytes(m.data, policy=email.policy.default)
        assert not msg.defects
        for part in msg.walk():
            if not part.is_multipart():
                part.get_content()
    small = corpus.make_mailbox(50, seed=1, small=True)
    assert all(m.size < 6000 for m in small)
