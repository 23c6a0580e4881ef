"""Core functional tests of the IMAP server (src/server/imap) against a real
`conflux serve`: login, SELECT/EXAMINE, FETCH, STORE, EXPUNGE, APPEND,
COPY/MOVE, SEARCH, LIST, IDLE, CONDSTORE/QRESYNC, and two sessions seeing
each other's changes. The broad protocol and client suites are
test_imap_protocol.py and test_imap_clients.py."""
import base64
import imaplib
import re
import time

import pytest

from imaptest_util import Raw, code_of, find, find_all, status_of

PW = "secret-pw"


def msg(i, subject=None, body=None):
    subject = subject or f"message {i}"
    body = body or f"body of message {i}\r\n"
    return (f"From: Sender <sender@example.org>\r\n"
            f"To: alice@example.org\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Mon, 02 Mar 2026 10:00:0{i % 10} +0100\r\n"
            f"Message-ID: <m{i}@example.org>\r\n\r\n{body}").encode()


def raw(served, user="alice"):
    r = Raw("127.0.0.1", served.imap_port)
    if user:
        r.login(user, PW)
    return r


def ok(res):
    typ, untagged, tagged = res
    assert typ == "OK", (tagged, untagged)
    return untagged, tagged


def append(r, box, data, flags="", date=None):
    extra = (f" ({flags})" if flags else "") + (f' "{date}"' if date else "")
    untagged, tagged = ok(r.cmd(f"APPEND {box}{extra} {{{len(data)}+}}\r\n".
                                encode() + data))
    m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", tagged)
    assert m, tagged
    return int(m.group(1)), int(m.group(2))


def fill(served, n, user="alice"):
    r = raw(served, user)
    for i in range(1, n + 1):
        append(r, "INBOX", msg(i))
    r.close()


# ---- greeting, login -------------------------------------------------------

def test_greeting_and_login(served):
    r = raw(served, user=None)
    assert r.greeting.startswith(b"* OK [CAPABILITY IMAP4rev1 ")
    assert b"conflux ready." in r.greeting
    typ, _, tagged = r.cmd('LOGIN alice "wrong"')
    assert typ == "NO" and code_of(tagged) == "AUTHENTICATIONFAILED"
    untagged, tagged = ok(r.cmd(f"LOGIN alice {PW}"))
    assert b"[CAPABILITY " in tagged and b"QRESYNC" in tagged
    typ, _, _ = r.cmd(f"LOGIN alice {PW}")
    assert typ == "BAD"                     # wrong state
    untagged, _ = ok(r.cmd("LOGOUT"))
    assert untagged[0].startswith(b"* BYE")
    served.wait_log(r"imap: logout user=alice .*reason=\"LOGOUT\"")
    assert re.search(r"imap: login user=alice method=LOGIN", served.log())


def test_authenticate_plain(served):
    token = base64.b64encode(b"\0alice\0" + PW.encode()).decode()
    r = raw(served, user=None)
    ok(r.cmd(f"AUTHENTICATE PLAIN {token}"))        # SASL-IR
    r.close()
    r = raw(served, user=None)
    tag = r.tag()
    r.send(f"{tag} AUTHENTICATE PLAIN\r\n")
    assert r.continuation().startswith(b"+")
    r.send(token + "\r\n")
    _, tagged = r.until_tagged(tag)
    assert status_of(tagged) == "OK", tagged
    r.close()
    r = raw(served, user=None)
    tag = r.tag()
    r.send(f"{tag} AUTHENTICATE PLAIN\r\n")
    r.continuation()
    r.send("*\r\n")
    _, tagged = r.until_tagged(tag)
    assert status_of(tagged) == "BAD", tagged


def test_unknown_and_bad_commands(served):
    r = raw(served)
    assert r.cmd("FOO")[0] == "BAD"
    assert r.cmd("FETCH 1 FLAGS")[0] == "BAD"      # not selected
    r.send(b"\r\n")
    assert r.read_response().startswith(b"* BAD")
    ok(r.cmd("NOOP"))


def test_too_many_bad_commands_closes(served):
    r = raw(served)
    for _ in range(19):
        r.send(b"x FOO\r\n")
    for _ in range(19):
        assert b"BAD" in r.read_response()
    r.send(b"x FOO\r\n")
    assert r.read_response().startswith(b"x BAD")
    assert r.read_response().startswith(b"* BYE")
    assert r.closed()


# ---- SELECT, EXAMINE, FETCH ------------------------------------------------

def test_select_and_examine(served):
    fill(served, 3)
    r = raw(served)
    untagged, tagged = ok(r.cmd("SELECT INBOX"))
    assert find(untagged, rb"^\* 3 EXISTS")
    assert find(untagged, rb"^\* 0 RECENT")
    assert find(untagged, rb"^\* FLAGS \(")
    assert find(untagged, rb"\[PERMANENTFLAGS \(.*\\\*\)\]")
    assert find(untagged, rb"\[UIDVALIDITY \d+\]")
    assert find(untagged, rb"\[UIDNEXT 4\]")
    assert find(untagged, rb"\[UNSEEN 1\]")
    assert find(untagged, rb"\[HIGHESTMODSEQ \d+\]")
    assert code_of(tagged) == "READ-WRITE"
    untagged, tagged = ok(r.cmd("EXAMINE INBOX"))
    assert find(untagged, rb"\[CLOSED\]")
    assert code_of(tagged) == "READ-ONLY"
    ok(r.cmd("FETCH 1 BODY[]"))                     # no \Seen: read-only
    untagged, _ = ok(r.cmd("FETCH 1 FLAGS"))
    assert b"\\Seen" not in untagged[0]
    assert r.cmd("STORE 1 +FLAGS (\\Deleted)")[0] == "NO"
    typ, _, tagged = r.cmd("SELECT Nope")
    assert typ == "NO" and code_of(tagged) == "NONEXISTENT"
    assert r.cmd("FETCH 1 FLAGS")[0] == "BAD"      # no longer selected


def test_fetch_items(served):
    data = msg(1, subject="hello there", body="line one\nline two\n")
    r = raw(served)
    append(r, "INBOX", data, flags="\\Flagged", date="01-Feb-2024 10:00:00 +0100")
    ok(r.cmd("SELECT INBOX"))
    crlf = data.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
    untagged, _ = ok(r.cmd("FETCH 1 (FLAGS UID RFC822.SIZE INTERNALDATE "
                           "ENVELOPE BODYSTRUCTURE)"))
    line = untagged[0]
    assert b"FLAGS (\\Flagged)" in line
    assert b"UID 1" in line
    assert b"RFC822.SIZE %d" % len(crlf) in line
    assert b'INTERNALDATE "01-Feb-2024' in line
    assert b'ENVELOPE ("Mon, 02 Mar 2026 10:00:01 +0100" "hello there"' in line
    assert b'BODYSTRUCTURE ("text" "plain"' in line
    untagged, _ = ok(r.cmd("FETCH 1 BODY.PEEK[]"))
    assert untagged[0].endswith(b"{%d}\r\n" % len(crlf) + crlf + b")\r\n")
    untagged, _ = ok(r.cmd("FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]"))
    assert b"Subject: hello there\r\n\r\n" in untagged[0]
    untagged, _ = ok(r.cmd("FETCH 1 BODY.PEEK[TEXT]<5.3>"))
    assert b"BODY[TEXT]<5> {3}\r\none)" in untagged[0]
    untagged, _ = ok(r.cmd("FETCH 1 FLAGS"))
    assert b"\\Seen" not in untagged[0]
    untagged, _ = ok(r.cmd("FETCH 1 BODY[TEXT]"))   # implicit \Seen
    assert b"FLAGS (\\Seen \\Flagged)" in untagged[0]
    untagged, _ = ok(r.cmd("UID FETCH 1:* (FLAGS)"))
    assert b"UID 1" in untagged[0]
    assert r.cmd("FETCH 2 FLAGS")[0] == "BAD"       # beyond EXISTS
    ok(r.cmd("UID FETCH 99 FLAGS"))                 # unknown UIDs: nothing


def test_fetch_many_messages_with_backpressure(served):
    r = raw(served)
    big = b"x" * 70000 + b"\r\n"
    for i in range(12):
        append(r, "INBOX", msg(i, body=(big * 4).decode()))
    ok(r.cmd("SELECT INBOX"))
    untagged, _ = ok(r.cmd("FETCH 1:* (UID BODY.PEEK[])", timeout=60))
    assert len(untagged) == 12
    for u in untagged:
        assert u.count(b"x" * 70000) == 4


# ---- STORE, EXPUNGE ---------------------------------------------------------

def test_store_and_expunge(served):
    fill(served, 5)
    r = raw(served)
    ok(r.cmd("SELECT INBOX"))
    untagged, _ = ok(r.cmd("STORE 2:3 +FLAGS (\\Deleted $Work)"))
    fetches = [u for u in untagged if b" FETCH " in u]
    assert len(fetches) == 2 and b"\\Deleted $Work" in fetches[0]
    assert find(untagged, rb"^\* FLAGS \(.*\$Work\)")    # a new keyword
    untagged, _ = ok(r.cmd("STORE 1 +FLAGS.SILENT (\\Seen)"))
    assert untagged == []
    untagged, _ = ok(r.cmd("STORE 2 -FLAGS ($Work)"))
    assert b"FLAGS (\\Deleted)" in untagged[0]
    untagged, _ = ok(r.cmd("STORE 5 FLAGS (\\Answered)"))
    assert b"FLAGS (\\Answered)" in untagged[0]
    untagged, _ = ok(r.cmd("EXPUNGE"))
    assert [u.strip() for u in untagged] == [b"* 3 EXPUNGE", b"* 2 EXPUNGE"]
    untagged, _ = ok(r.cmd("FETCH 1:* UID"))
    assert [int(re.search(rb"UID (\d+)", u).group(1)) for u in untagged] \
        == [1, 4, 5]
    ok(r.cmd("STORE 1:3 +FLAGS.SILENT (\\Deleted)"))
    untagged, tagged = ok(r.cmd("UID EXPUNGE 4"))   # only UID 4
    assert [u.strip() for u in untagged] == [b"* 2 EXPUNGE"]
    ok(r.cmd("CLOSE"))                              # silent expunge of 1, 5
    untagged, _ = ok(r.cmd("SELECT INBOX"))
    assert find(untagged, rb"^\* 0 EXISTS")


# ---- APPEND -----------------------------------------------------------------

def test_append_sync_literal_and_uidplus(served):
    r = raw(served)
    data = msg(7)
    tag = r.tag()
    r.send(f'{tag} APPEND Sent (\\Seen $Label) {{{len(data)}}}\r\n'.encode())
    assert r.continuation().startswith(b"+ ")
    r.send(data + b"\r\n")
    _, tagged = r.until_tagged(tag)
    assert status_of(tagged) == "OK" and b"[APPENDUID " in tagged
    ok(r.cmd("SELECT Sent"))
    untagged, _ = ok(r.cmd("FETCH 1 (FLAGS RFC822.SIZE)"))
    assert b"FLAGS (\\Seen $Label)" in untagged[0]
    typ, _, tagged = r.cmd(b"APPEND Nope {3+}\r\nabc")
    assert typ == "NO" and code_of(tagged) == "TRYCREATE"


def test_append_to_selected_shows_exists(served):
    r = raw(served)
    ok(r.cmd("SELECT INBOX"))
    uidv, uid = append(r, "INBOX", msg(1))
    untagged, _ = ok(r.cmd("NOOP"))
    # EXISTS came with the APPEND's reply or comes now
    r2 = raw(served)
    ok(r2.cmd("SELECT INBOX"))
    untagged, _ = ok(r.cmd("FETCH 1 UID"))
    assert b"UID %d" % uid in untagged[0]


def test_append_too_big_sync_literal_not_read(served):
    r = raw(served)
    tag = r.tag()
    r.send(f"{tag} APPEND INBOX {{{200 * 1024 * 1024}}}\r\n".encode())
    _, tagged = r.until_tagged(tag)
    assert status_of(tagged) == "NO" and code_of(tagged) == "TOOBIG"
    ok(r.cmd("NOOP"))


def test_append_empty_message_refused(served):
    r = raw(served)
    typ, _, _ = r.cmd(b"APPEND INBOX {0+}\r\n")
    assert typ == "NO"
    ok(r.cmd("NOOP"))


def test_multiappend(served):
    r = raw(served)
    a, b = msg(1), msg(2)
    ok(r.cmd(f"APPEND INBOX {{{len(a)}+}}\r\n".encode() + a +
             f" (\\Seen) {{{len(b)}+}}\r\n".encode() + b))
    untagged, _ = ok(r.cmd("STATUS INBOX (MESSAGES UNSEEN)"))
    assert b"MESSAGES 2 UNSEEN 1" in untagged[0]


# ---- COPY, MOVE -------------------------------------------------------------

def test_copy_and_move(served):
    fill(served, 3)
    r = raw(served)
    ok(r.cmd("SELECT INBOX"))
    ok(r.cmd("STORE 1 +FLAGS.SILENT (\\Flagged)"))
    untagged, tagged = ok(r.cmd("COPY 1:2 Archive"))
    m = re.search(rb"\[COPYUID \d+ 1:2 1:2\]", tagged)
    assert m, tagged
    untagged, tagged = ok(r.cmd("UID MOVE 2:3 Trash"))
    assert find(untagged, rb"^\* OK \[COPYUID \d+ 2:3 1:2\]")
    assert [u.strip() for u in untagged[1:]] == [b"* 3 EXPUNGE",
                                                  b"* 2 EXPUNGE"]
    ok(r.cmd("SELECT Archive"))
    untagged, _ = ok(r.cmd("FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS "
                           "(SUBJECT)])"))
    assert b"\\Flagged" in untagged[0] and b"message 1" in untagged[0]
    typ, _, tagged = r.cmd("COPY 1 Nope")
    assert typ == "NO" and code_of(tagged) == "TRYCREATE"


# ---- SEARCH -----------------------------------------------------------------

def test_search(served):
    r = raw(served)
    append(r, "INBOX", msg(1, subject="apples"), flags="\\Seen")
    append(r, "INBOX", msg(2, subject="pears", body="Grape juice\r\n"))
    append(r, "INBOX", msg(3, subject="=?UTF-8?B?R3LDvMOfZQ==?="))
    ok(r.cmd("SELECT INBOX"))

    def search(q):
        untagged, _ = ok(r.cmd(q))
        line = [u for u in untagged if u.startswith(b"* SEARCH")][0]
        return [int(x) for x in line.split()[2:]]

    assert search("SEARCH ALL") == [1, 2, 3]
    assert search("SEARCH UNSEEN") == [2, 3]
    assert search("SEARCH SUBJECT pears") == [2]
    assert search("SEARCH BODY grape") == [2]
    assert search("SEARCH TEXT APPLES") == [1]
    assert search("SEARCH OR SEEN SUBJECT pears") == [1, 2]
    assert search("SEARCH NOT SEEN 2:*") == [2, 3]
    assert search("UID SEARCH UID 2:3") == [2, 3]
    assert search("SEARCH SENTSINCE 1-Mar-2026 SENTBEFORE 3-Mar-2026") \
        == [1, 2, 3]
    assert search("SEARCH LARGER 10000") == []
    word = "Grüße".encode()
    r.send(b"s1 SEARCH CHARSET UTF-8 SUBJECT {%d}\r\n" % len(word))
    r.continuation()
    r.send(word + b"\r\n")
    untagged, tagged = r.until_tagged("s1")
    assert status_of(tagged) == "OK" and untagged[0].strip() == b"* SEARCH 3"
    word = "GRÜßE".encode()                 # non-ASCII letters fold too
    r.send(b"s2 SEARCH CHARSET UTF-8 SUBJECT {%d}\r\n" % len(word))
    r.continuation()
    r.send(word + b"\r\n")
    untagged, tagged = r.until_tagged("s2")
    assert status_of(tagged) == "OK" and untagged[0].strip() == b"* SEARCH 3"
    typ, _, tagged = r.cmd("SEARCH CHARSET KOI8-R ALL")
    assert typ == "NO" and b"BADCHARSET" in tagged
    untagged, _ = ok(r.cmd("SEARCH RETURN (MIN MAX COUNT) ALL"))
    assert find(untagged, rb'^\* ESEARCH \(TAG "t\d+"\) MIN 1 MAX 3 COUNT 3')


# ---- LIST, mailboxes --------------------------------------------------------

def test_list_create_rename_delete(served):
    r = raw(served)
    ok(r.cmd("CREATE Projects/2024/Q1"))
    untagged, _ = ok(r.cmd('LIST "" "Projects*"'))
    got = {re.search(rb'"/" (.*)\r\n', u).group(1): u for u in untagged}
    assert b"\\HasChildren" in got[b"Projects"]    # parents are created
    assert b"\\Noselect" not in got[b"Projects"]
    assert b"\\HasChildren" in got[b"Projects/2024"]
    assert b"\\HasNoChildren" in got[b"Projects/2024/Q1"]
    untagged, _ = ok(r.cmd('LIST "" %'))
    names = [re.search(rb'"/" (.*)\r\n', u).group(1) for u in untagged]
    assert names[0] == b"INBOX" and b"Projects" in names
    assert b"Projects/2024" not in names
    untagged, _ = ok(r.cmd('LIST "Projects/" %'))
    assert [re.search(rb'"/" (.*)\r\n', u).group(1) for u in untagged] \
        == [b"Projects/2024"]
    untagged, _ = ok(r.cmd('LIST "" ""'))
    assert untagged[0].strip() == b'* LIST (\\Noselect) "/" ""'
    untagged, _ = ok(r.cmd('LIST "" Sent'))
    assert b"\\Sent" in untagged[0]
    typ, _, tagged = r.cmd("CREATE INBOX")
    assert typ == "NO"
    typ, _, tagged = r.cmd("CREATE Projects/2024/Q1")
    assert typ == "NO" and code_of(tagged) == "ALREADYEXISTS"
    ok(r.cmd("RENAME Projects/2024 Projects/2025"))
    untagged, _ = ok(r.cmd('LIST "" Projects/2025/*'))
    assert b"Projects/2025/Q1" in untagged[0]
    ok(r.cmd("SUBSCRIBE Projects/2025/Q1"))
    untagged, _ = ok(r.cmd('LSUB "" Projects/*'))
    assert any(b"Projects/2025/Q1" in u for u in untagged)
    ok(r.cmd("DELETE Projects/2025/Q1"))
    typ, _, tagged = r.cmd("DELETE Projects/2025/Q1")
    assert typ == "NO" and code_of(tagged) == "NONEXISTENT"
    typ, _, _ = r.cmd("DELETE INBOX")
    assert typ == "NO"
    ok(r.cmd('CREATE "&ANY-l"'))                   # modified UTF-7 "Öl"
    untagged, _ = ok(r.cmd('LIST "" "&ANY-*"'))
    assert b"&ANY-l" in untagged[0]
    untagged, _ = ok(r.cmd("NAMESPACE"))
    assert untagged[0].strip() == b'* NAMESPACE (("" "/")) NIL NIL'


def test_rename_inbox_moves_messages(served):
    fill(served, 2)
    r = raw(served)
    ok(r.cmd("RENAME INBOX Old"))
    untagged, _ = ok(r.cmd("STATUS INBOX (MESSAGES)"))
    assert b"MESSAGES 0" in untagged[0]
    untagged, _ = ok(r.cmd("STATUS Old (MESSAGES UIDNEXT)"))
    assert b"MESSAGES 2" in untagged[0]


def test_status(served):
    fill(served, 2)
    r = raw(served)
    untagged, _ = ok(r.cmd("STATUS INBOX (MESSAGES RECENT UIDNEXT "
                           "UIDVALIDITY UNSEEN HIGHESTMODSEQ)"))
    assert re.search(rb"\* STATUS INBOX \(MESSAGES 2 RECENT 0 UIDNEXT 3 "
                     rb"UIDVALIDITY \d+ UNSEEN 2 HIGHESTMODSEQ \d+\)",
                     untagged[0])


# ---- two sessions, IDLE -----------------------------------------------------

def test_two_sessions_see_each_other(served):
    fill(served, 3)
    a, b = raw(served), raw(served)
    ok(a.cmd("SELECT INBOX"))
    ok(b.cmd("SELECT INBOX"))
    ok(b.cmd("STORE 2 +FLAGS.SILENT (\\Flagged)"))
    untagged, _ = ok(a.cmd("NOOP"))
    assert find(untagged, rb"^\* 2 FETCH \(FLAGS \(\\Flagged\)\)")
    ok(b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)"))
    ok(b.cmd("EXPUNGE"))
    append(b, "INBOX", msg(9))
    # no EXPUNGE during FETCH; EXISTS may come
    untagged, _ = ok(a.cmd("FETCH 1 UID"))
    assert not find(untagged, rb"EXPUNGE")
    untagged, _ = ok(a.cmd("NOOP"))
    assert find(untagged, rb"^\* 1 EXPUNGE")
    untagged, _ = ok(a.cmd("FETCH 1:* UID"))
    assert [int(re.search(rb"UID (\d+)", u).group(1)) for u in untagged] \
        == [2, 3, 4]


def test_idle_gets_changes_at_once(served):
    fill(served, 1)
    a, b = raw(served), raw(served)
    ok(a.cmd("SELECT INBOX"))
    a.send(b"i1 IDLE\r\n")
    assert a.read_response().startswith(b"+ idling")
    append(b, "INBOX", msg(2))
    assert a.read_response(timeout=5).strip() == b"* 2 EXISTS"
    ok(b.cmd("SELECT INBOX"))
    ok(b.cmd("STORE 1 +FLAGS.SILENT (\\Seen)"))
    assert re.match(rb"^\* 1 FETCH \(FLAGS \(\\Seen\)\)",
                    a.read_response(timeout=5))
    ok(b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)"))
    ok(b.cmd("EXPUNGE"))
    resp = a.read_response(timeout=5)
    if b"FETCH" in resp:                    # the \Deleted, if seen apart
        resp = a.read_response(timeout=5)
    assert resp.strip() == b"* 1 EXPUNGE"
    a.send(b"DONE\r\n")
    _, tagged = a.until_tagged("i1")
    assert status_of(tagged) == "OK"


def test_delivery_from_another_process_reaches_idle(served):
    a = raw(served)
    ok(a.cmd("SELECT INBOX"))
    a.send(b"i1 IDLE\r\n")
    a.read_response()
    assert served.cfx.deliver("alice", msg(1)).returncode == 0
    assert a.read_response(timeout=8).strip() == b"* 1 EXISTS"
    a.send(b"DONE\r\n")
    a.until_tagged("i1")


# ---- CONDSTORE, QRESYNC ------------------------------------------------------

def test_condstore(served):
    fill(served, 3)
    r = raw(served)
    untagged, _ = ok(r.cmd("SELECT INBOX (CONDSTORE)"))
    hms = int(find(untagged, rb"\[HIGHESTMODSEQ (\d+)\]").group(1))
    untagged, _ = ok(r.cmd("STORE 2 +FLAGS (\\Flagged)"))
    ms = int(re.search(rb"MODSEQ \((\d+)\)", untagged[0]).group(1))
    assert ms > hms
    untagged, _ = ok(r.cmd(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {hms})"))
    assert len(untagged) == 1 and untagged[0].startswith(b"* 2 FETCH")
    assert b"MODSEQ (%d)" % ms in untagged[0]
    untagged, tagged = ok(r.cmd(f"STORE 1:2 (UNCHANGEDSINCE {hms}) "
                                "+FLAGS (\\Seen)"))
    assert code_of(tagged) == "MODIFIED 2"
    untagged, _ = ok(r.cmd("SEARCH MODSEQ %d" % ms))
    assert find(untagged, rb"^\* SEARCH 1 2 \(MODSEQ \d+\)")  # 1 got \\Seen
    untagged, _ = ok(r.cmd("STATUS Trash (HIGHESTMODSEQ)"))
    assert b"HIGHESTMODSEQ" in untagged[0]


def test_qresync(served):
    fill(served, 4)
    r = raw(served)
    untagged, _ = ok(r.cmd("ENABLE QRESYNC"))
    assert find(untagged, rb"^\* ENABLED QRESYNC")
    untagged, _ = ok(r.cmd("SELECT INBOX"))
    uidv = int(find(untagged, rb"\[UIDVALIDITY (\d+)\]").group(1))
    hms = int(find(untagged, rb"\[HIGHESTMODSEQ (\d+)\]").group(1))
    ok(r.cmd("UNSELECT"))
    other = raw(served)
    ok(other.cmd("SELECT INBOX"))
    ok(other.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)"))
    ok(other.cmd("EXPUNGE"))
    ok(other.cmd("STORE 3 +FLAGS.SILENT (\\Answered)"))    # UID 4
    untagged, _ = ok(r.cmd(f"SELECT INBOX (QRESYNC ({uidv} {hms} 1:4))"))
    assert find(untagged, rb"^\* VANISHED \(EARLIER\) 2\r\n")
    assert find(untagged, rb"^\* 3 FETCH \(UID 4 FLAGS \(\\Answered\) "
                          rb"MODSEQ \(\d+\)\)")
    # expunges now come as VANISHED
    ok(other.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)"))
    ok(other.cmd("EXPUNGE"))
    untagged, _ = ok(r.cmd("NOOP"))
    assert find(untagged, rb"^\* VANISHED 1\r\n")
    untagged, _ = ok(r.cmd(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {hms} "
                           "VANISHED)"))
    assert find(untagged, rb"^\* VANISHED \(EARLIER\) 1:2\r\n")
    ok(r.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)"))
    untagged, tagged = ok(r.cmd("EXPUNGE"))
    assert find(untagged, rb"^\* VANISHED 3\r\n")
    assert re.match(rb"^t\d+ OK \[HIGHESTMODSEQ \d+\]", tagged)
    untagged, tagged = ok(r.cmd("CLOSE"))
    assert re.match(rb"^t\d+ OK \[HIGHESTMODSEQ \d+\]", tagged)


# ---- clients ------------------------------------------------------------------

def test_imaplib_session(served):
    fill(served, 2)
    c = imaplib.IMAP4("127.0.0.1", served.imap_port)
    c.login("alice", PW)
    typ, data = c.select("INBOX")
    assert typ == "OK" and data == [b"2"]
    typ, data = c.uid("FETCH", "1:*", "(RFC822.HEADER)")
    assert typ == "OK" and b"Subject: message 1" in data[0][1]
    typ, data = c.uid("STORE", "1", "+FLAGS", "(\\Deleted)")
    assert typ == "OK"
    typ, data = c.expunge()
    assert data == [b"1"]
    typ, data = c.append("INBOX", None, imaplib.Time2Internaldate(time.time()),
                         msg(5))
    assert typ == "OK"
    typ, data = c.list()
    assert typ == "OK" and any(b"INBOX" in d for d in data)
    c.logout()


def test_fetch_bare_lf_message_streams_as_crlf(served):
    data = b"From: a@example.org\nSubject: lf\n\n" + b"line\n" * 5000
    assert served.cfx.deliver("alice", data).returncode == 0
    crlf = data.replace(b"\n", b"\r\n")
    r = raw(served)
    ok(r.cmd("SELECT INBOX"))
    untagged, _ = ok(r.cmd("FETCH 1 (RFC822.SIZE BODY.PEEK[])"))
    assert b"RFC822.SIZE %d" % len(crlf) in untagged[0]
    assert untagged[0].endswith(b"BODY[] {%d}\r\n" % len(crlf) + crlf +
                                b")\r\n")
    untagged, _ = ok(r.cmd("FETCH 1 (BODY.PEEK[]<30.10> BODY.PEEK[]<999999.5>)"))
    assert b"BODY[]<30> {10}\r\n" + crlf[30:40] in untagged[0]
    assert b'BODY[]<999999> ""' in untagged[0]
    untagged, _ = ok(r.cmd("FETCH 1 (RFC822 ENVELOPE)"))  # sets \Seen
    assert b'"lf"' in untagged[0] and crlf in untagged[0]
    assert b"FLAGS (\\Seen)" in untagged[0]


# ---- TLS, limits, shutdown --------------------------------------------------

def test_starttls_and_imaps(served):
    import ssl
    ctx = ssl.create_default_context(cafile=served.ca_file)
    c = imaplib.IMAP4("localhost", served.imap_port)
    assert "STARTTLS" in c.capabilities
    c.starttls(ssl_context=ctx)
    assert "STARTTLS" not in c.capabilities
    c.login("alice", PW)
    assert c.select("INBOX")[0] == "OK"
    c.logout()
    c = imaplib.IMAP4_SSL("localhost", served.imaps_port, ssl_context=ctx)
    assert "STARTTLS" not in c.capabilities
    c.login("alice", PW)
    c.logout()
    served.wait_log(r"imap: login user=alice method=LOGIN tls=yes")


def test_starttls_twice_and_after_login(served):
    import ssl
    r = raw(served)
    assert r.cmd("STARTTLS")[0] == "BAD"        # authenticated state
    ctx = ssl.create_default_context(cafile=served.ca_file)
    c = imaplib.IMAP4("localhost", served.imap_port)
    c.starttls(ssl_context=ctx)
    with pytest.raises(imaplib.IMAP4.error, match="BAD"):
        c._simple_command("STARTTLS")


def test_nonsync_literal_too_big_disconnects(served):
    r = raw(served)
    r.send(b"a1 SEARCH TEXT {5000000+}\r\n")
    assert r.read_response().startswith(b"* BYE")
    assert r.closed()
    r = raw(served, user=None)
    r.send(b"a1 LOGIN {100000}\r\n")                 # sync: refused, go on
    assert r.read_response().startswith(b"a1 BAD")
    ok(r.cmd(f"LOGIN alice {PW}"))


def test_id_enable_namespace(served):
    r = raw(served, user=None)
    untagged, _ = ok(r.cmd('ID ("name" "pytest")'))
    assert untagged[0].startswith(b'* ID ("name" "conflux"')
    assert r.cmd("ENABLE CONDSTORE")[0] == "BAD"     # before login
    r.login("alice", PW)
    untagged, _ = ok(r.cmd("ENABLE CONDSTORE X-UNKNOWN"))
    assert untagged[0].strip() == b"* ENABLED CONDSTORE"
    untagged, _ = ok(r.cmd("ENABLE CONDSTORE"))
    assert untagged[0].strip() == b"* ENABLED"
    assert r.cmd("AUTHENTICATE PLAIN")[0] == "BAD"   # wrong state


def test_authenticate_errors(served):
    r = raw(served, user=None)
    assert r.cmd("AUTHENTICATE PLAIN !!!notbase64")[0] == "BAD"
    assert r.cmd("AUTHENTICATE CRAM-MD5")[0] == "NO"
    assert r.cmd("AUTHENTICATE PLAIN =")[0] == "NO"      # empty response
    token = base64.b64encode(b"bob\0alice\0" + PW.encode()).decode()
    assert r.cmd(f"AUTHENTICATE PLAIN {token}")[0] == "NO"
    ok(r.cmd(f"LOGIN alice {PW}"))


def test_shutdown_says_bye(served):
    r = raw(served)
    ok(r.cmd("SELECT INBOX"))
    i = raw(served)
    i.send(b"i1 IDLE\r\n")
    i.read_response()
    served.restart()
    assert r.read_response().startswith(b"* BYE")
    assert i.read_response().startswith(b"* BYE")
    assert r.closed() and i.closed()
    deadline = time.monotonic() + 15                 # serving again
    while True:
        try:
            r = raw(served)
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    ok(r.cmd("NOOP"))


def test_sessions_are_separate_users(served):
    fill(served, 2, user="alice")
    b = raw(served, user="bob")
    untagged, _ = ok(b.cmd("SELECT INBOX"))
    assert find(untagged, rb"^\* 0 EXISTS")


def test_selected_mailbox_deleted_by_another_session(served):
    r = raw(served)
    ok(r.cmd("CREATE Box"))
    append(r, "Box", msg(1))
    ok(r.cmd("SELECT Box"))
    r.send(b"i1 IDLE\r\n")
    r.read_response()
    other = raw(served)
    ok(other.cmd("DELETE Box"))
    assert r.read_response(timeout=5).startswith(b"* BYE")
    assert r.closed()
    r = raw(served)                         # renamed away: the same
    ok(r.cmd("CREATE Box"))
    ok(r.cmd("SELECT Box"))
    ok(other.cmd("RENAME Box Box2"))
    typ, untagged, _ = r.cmd("NOOP")
    assert find(untagged, rb"^\* BYE")
    me = raw(served)                        # our own rename: we go on
    ok(me.cmd("CREATE Mine"))
    ok(me.cmd("SELECT Mine"))
    ok(me.cmd("RENAME Mine Ours"))
    ok(me.cmd("NOOP"))
    ok(me.cmd("CHECK"))


def test_new_keywords_update_flags_list(served):
    fill(served, 1)
    a, b = raw(served), raw(served)
    untagged, _ = ok(a.cmd("SELECT INBOX"))
    assert find(untagged, rb"^\* FLAGS \(\\Answered \\Flagged \\Deleted "
                          rb"\\Seen \\Draft\)")
    ok(b.cmd("SELECT INBOX"))
    untagged, _ = ok(a.cmd("STORE 1 +FLAGS.SILENT ($Important)"))
    assert find(untagged, rb"^\* FLAGS \(.*\\Draft \$Important\)")
    assert find(untagged, rb"^\* OK \[PERMANENTFLAGS \(.*\$Important \\\*\)\]")
    untagged, _ = ok(b.cmd("NOOP"))
    assert find(untagged, rb"^\* FLAGS \(.*\$Important\)")
    assert find(untagged, rb"^\* 1 FETCH \(FLAGS \(\$Important\)\)")
    untagged, _ = ok(a.cmd("STORE 1 +FLAGS ($important)"))   # known already
    assert not find(untagged, rb"^\* FLAGS")
    assert a.cmd("CREATE ../x")[0] == "NO"
    assert a.cmd("CREATE a/./b")[0] == "NO"


def test_pipelined_commands(served):
    r = raw(served, user=None)
    big = ("y" * 1000 + "\r\n") * 300
    r.send(f"p1 LOGIN alice {PW}\r\np2 SELECT INBOX\r\n".encode())
    _, tagged = r.until_tagged("p2")
    assert status_of(tagged) == "OK"
    data = msg(1, body=big)
    cmds = b"".join(b"a%d APPEND INBOX {%d+}\r\n" % (i, len(data)) + data +
                    b"\r\n" for i in range(10))
    cmds += b"f1 FETCH 1:* (BODY.PEEK[])\r\nf2 NOOP\r\nf3 FETCH 1:* UID\r\n"
    r.send(cmds)
    untagged, tagged = r.until_tagged("f1", timeout=30)
    assert status_of(tagged) == "OK"
    assert len([u for u in untagged if b" FETCH " in u]) == 10
    _, tagged = r.until_tagged("f2")
    assert status_of(tagged) == "OK"
    untagged, tagged = r.until_tagged("f3")
    assert len(untagged) == 10


def test_sections_of_files_read_in_chunks(served):
    # a CRLF file whose CR ends the first 16 KiB read, and a bare-LF one
    head = b"From: a@example.org\r\nSubject: chunks\r\n\r\n"
    line = b"z" * 98 + b"\r\n"
    pad = 16383 - len(head) - len(line) * 163
    body = line * 163 + b"y" * pad + b"\r\n" + line * 30
    crlf = head + body
    assert crlf[16383:16385] == b"\r\n"
    assert served.cfx.deliver("alice", crlf).returncode == 0
    lf = b"From: b@example.org\nSubject: lf\n\n" + b"ab\n" * 9000
    assert served.cfx.deliver("alice", lf).returncode == 0
    r = raw(served)
    ok(r.cmd("SELECT INBOX"))
    untagged, _ = ok(r.cmd("FETCH 1 (BODY.PEEK[TEXT] BODYSTRUCTURE)"))
    assert b"BODY[TEXT] {%d}\r\n" % len(body) + body in untagged[0]
    want = lf.replace(b"\n", b"\r\n")
    text = want[want.index(b"\r\n\r\n") + 4:]
    untagged, _ = ok(r.cmd("FETCH 2 (BODY.PEEK[TEXT] BODYSTRUCTURE)"))
    assert b"BODY[TEXT] {%d}\r\n" % len(text) + text in untagged[0]
    assert b'"7bit" %d 9000' % len(text) in untagged[0]


def test_fetch_item_spacing_and_big_sections(served):
    part = base64.encodebytes(b"\x00\x01" * 60000).replace(b"\n", b"\r\n")
    data = (b"From: a@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
            b"--zz\r\nContent-Type: text/plain\r\n\r\nsmall\r\n"
            b"--zz\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + part +
            b"--zz--\r\n")
    r = raw(served)
    append(r, "INBOX", data)
    ok(r.cmd("SELECT INBOX"))
    untagged, _ = ok(r.cmd("FETCH 1 BODY[]"))        # only item + \Seen
    assert untagged[0].startswith(b"* 1 FETCH (FLAGS (\\Seen) BODY[] {")
    untagged, _ = ok(r.cmd("FETCH 1 (BODY.PEEK[2] BODY.PEEK[1] UID)"))
    u = untagged[0]
    body = part[:-2]            # the CRLF before a boundary is not the part's
    assert u.startswith(b"* 1 FETCH (UID 1 BODY[2] {%d}\r\n" % len(body))
    assert b"\r\n" + body + b" BODY[1] {5}\r\nsmall)\r\n" in u
    untagged, _ = ok(r.cmd("UID FETCH 1 (BODY.PEEK[2]<0.100000>)"))
    assert untagged[0].startswith(b"* 1 FETCH (UID 1 BODY[2]<0> {100000}")


def test_append_too_big_nonsync_literal_disconnects(served):
    r = raw(served)
    r.send(f"a1 APPEND INBOX {{{200 * 1024 * 1024}+}}\r\n".encode())
    r.send(b"x" * 65536)
    assert r.read_response().startswith(b"* BYE")
    assert r.closed()
    r = raw(served)
    untagged, _ = ok(r.cmd("STATUS INBOX (MESSAGES)"))
    assert b"MESSAGES 0" in untagged[0]


def test_binary_fetch(served):
    raw_bytes = bytes(range(256)) * 4
    b64 = base64.encodebytes(raw_bytes).replace(b"\n", b"\r\n")
    data = (b"From: a@example.org\r\nSubject: bin\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
            b"--zz\r\nContent-Type: text/plain\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
            b"caf=C3=A9 soft=\r\nbreak\r\n"
            b"--zz\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
            b"--zz\r\nContent-Type: text/plain\r\n"
            b"Content-Transfer-Encoding: x-unknown\r\n\r\nzzz\r\n"
            b"--zz--\r\n")
    r = raw(served)
    assert b"BINARY" in r.cmd("CAPABILITY")[1][0]
    append(r, "INBOX", data)
    ok(r.cmd("SELECT INBOX"))
    untagged, _ = ok(r.cmd("FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[2])"))
    assert b"BINARY[1] {15}\r\ncaf\xc3\xa9 softbreak" in untagged[0]
    assert b"BINARY.SIZE[2] 1024" in untagged[0]
    untagged, _ = ok(r.cmd("FETCH 1 BINARY.PEEK[2]"))
    assert b"BINARY[2] ~{1024}\r\n" + raw_bytes + b")" in untagged[0]
    untagged, _ = ok(r.cmd("FETCH 1 BINARY.PEEK[2]<256.10>"))
    assert b"BINARY[2]<256> ~{10}\r\n" + raw_bytes[256:266] in untagged[0]
    typ, untagged, tagged = r.cmd("FETCH 1 BINARY.PEEK[3]")
    assert typ == "NO" and code_of(tagged) == "UNKNOWN-CTE"
    untagged, _ = ok(r.cmd("FETCH 1 FLAGS"))
    assert b"\\Seen" not in untagged[0]
    untagged, _ = ok(r.cmd("FETCH 1 BINARY[1]"))
    assert b"\\Seen" in untagged[0]


def test_list_extended_and_status(served):
    r = raw(served)
    caps = r.cmd("CAPABILITY")[1][0]
    assert b"LIST-EXTENDED" in caps and b"LIST-STATUS" in caps
    ok(r.cmd("CREATE Top/Child"))
    ok(r.cmd("SUBSCRIBE Top/Child"))
    untagged, _ = ok(r.cmd('LIST (SUBSCRIBED) "" "Top*"'))
    assert [u.strip() for u in untagged] == \
        [b'* LIST (\\HasNoChildren \\Subscribed) "/" Top/Child']
    untagged, _ = ok(r.cmd('LIST (SUBSCRIBED RECURSIVEMATCH) "" "To%"'))
    assert [u.strip() for u in untagged] == \
        [b'* LIST (\\HasChildren) "/" Top ("CHILDINFO" ("SUBSCRIBED"))']
    ok(r.cmd("RENAME Top/Child Gone/Child"))
    untagged, _ = ok(r.cmd('LIST "" Gone'))
    assert untagged[0].strip() == b'* LIST (\\Noselect \\HasChildren) "/" Gone'
    untagged, _ = ok(r.cmd('LIST "" (Gone Sent) RETURN (CHILDREN)'))
    assert untagged[0].strip() == \
        b'* LIST (\\NonExistent \\HasChildren) "/" Gone'
    append(r, "Sent", msg(1))
    untagged, _ = ok(r.cmd('LIST "" "S%" RETURN (STATUS (MESSAGES UNSEEN))'))
    assert [u.strip() for u in untagged] == \
        [b'* LIST (\\HasNoChildren \\Sent) "/" Sent',
         b'* STATUS Sent (MESSAGES 1 UNSEEN 1)']


def test_envelope_cache_follows_the_message(served):
    r = raw(served)
    ok(r.cmd("CREATE Box"))
    append(r, "Box", msg(1, subject="first one"))
    ok(r.cmd("SELECT Box"))
    one, _ = ok(r.cmd("FETCH 1 ENVELOPE"))
    again, _ = ok(r.cmd("FETCH 1 (ENVELOPE FLAGS)"))
    assert b'"first one"' in one[0] and b'"first one"' in again[0]
    ok(r.cmd("UNSELECT"))
    ok(r.cmd("DELETE Box"))
    ok(r.cmd("CREATE Box"))                 # same name, new UIDVALIDITY
    append(r, "Box", msg(1, subject="other one"))   # UID 1 again
    ok(r.cmd("SELECT Box"))
    untagged, _ = ok(r.cmd("FETCH 1 ENVELOPE"))
    assert b'"other one"' in untagged[0]
