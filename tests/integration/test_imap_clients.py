"""Real IMAP clients against conflux's IMAP server: mbsync (isync 1.4.4)
two-way sync of several folders, and curl over imap:// and imaps://.

Every test runs against a throwaway Dovecot as well: a client run that
passes there and fails on conflux points at conflux, not at the test.
"""
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import make_message, skip_peer_control_under_asan
from imaptest_util import (ConfluxTarget, DovecotTarget, multipart_message,
                           rfc822_message)
from peers.dovecot import Dovecot, imap_utf7
from peers.fixtures import peer_ca  # noqa: F401

try:
    from served import served  # noqa: F401 -- the conflux daemon fixture
    HAVE_SERVED = True
except ImportError:
    HAVE_SERVED = False

MBSYNC = shutil.which("mbsync") or "/usr/bin/mbsync"
CURL = shutil.which("curl") or "/usr/bin/curl"
PW = "secret-pw"


@pytest.fixture(params=["dovecot", "conflux"])
def target(request, peer_ca):  # noqa: F811
    if request.param == "dovecot":
        skip_peer_control_under_asan()
        dov = Dovecot(users={"alice": PW, "bob": PW}, ca=peer_ca)
        dov.start()
        request.addfinalizer(dov.stop)
        return DovecotTarget(dov)
    if not HAVE_SERVED:
        pytest.skip("tests/integration/served.py is not there yet")
    return ConfluxTarget(request.getfixturevalue("served"))


@pytest.fixture
def work(base_dir):
    d = base_dir / "client"
    d.mkdir()
    return d


# ---------------------------------------------------------------------------
# What the server holds, read over IMAP (imaplib)

def server_messages(target, folder, user="alice"):
    """{message-id or subject: (flags without \\Recent, raw bytes)}."""
    c = target.imap(user)
    try:
        typ, data = c.select(imap_quote(folder), readonly=True)
        assert typ == "OK", (folder, data)
        typ, data = c.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
        assert typ == "OK", data
        out = {}
        for item in data:
            if not isinstance(item, tuple):
                continue
            flags = set(re.search(rb"FLAGS \(([^)]*)\)", item[0])
                        .group(1).decode().split()) - {"\\Recent"}
            out[key_of(item[1])] = (flags, item[1])
        return out
    finally:
        c.logout()


def server_folders(target, user="alice"):
    c = target.imap(user)
    try:
        typ, data = c.list()
        assert typ == "OK"
        names = set()
        for line in data:
            if isinstance(line, tuple):     # literal name
                names.add(line[1].decode())
                continue
            m = re.match(rb'\(([^)]*)\) (?:"[^"]*"|NIL) (.*)$', line)
            if b"\\noselect" in m.group(1).lower():
                continue
            name = m.group(2).decode()
            if name.startswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            names.add(name)
        return names
    finally:
        c.logout()


def imap_quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_append(target, folder, data, flags=None, user="alice",
                  create=False):
    c = target.imap(user)
    try:
        if create:
            typ, res = c.create(imap_quote(folder))
            assert typ == "OK", res
        typ, res = c.append(imap_quote(folder), flags, None, data)
        assert typ == "OK", res
    finally:
        c.logout()


def key_of(data):
    """A message's Message-ID (or Subject): how the tests name messages."""
    head = data.split(b"\r\n\r\n", 1)[0]
    m = re.search(rb"^Message-ID: *<([^>]*)>", head, re.M | re.I) or \
        re.search(rb"^Subject: *(.*?)\r?$", head, re.M | re.I)
    return m.group(1).decode(errors="replace")


def lf(data):
    """mbsync keeps Maildir files with LF line ends (and writes CRLF to
    the server) and adds X-TUID to every message it copies: local copies
    are compared byte for byte after this."""
    return data.replace(b"\r\n", b"\n")


def untuid(data):
    return strip_tuid(data)


def strip_tuid(data):
    """mbsync adds an X-TUID header to each message it uploads."""
    return re.sub(rb"(?m)^X-TUID: [^\r\n]*\r?\n", b"", data, count=1)


# ---------------------------------------------------------------------------
# mbsync

MBSYNCRC = """\
IMAPAccount remote
Host {host}
Port {port}
User {user}
PassCmd "cat {pwfile}"
SSLType {ssltype}
Timeout 20
PipelineDepth 8
{certline}
IMAPStore remote
Account remote

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel all
Far :remote:
Near :local:
Patterns *
Create Both
Remove None
Expunge Both
SyncState *
"""


def write_mbsyncrc(work, target, tls):
    pwfile = work / "pw"
    pwfile.write_text(PW + "\n")
    os.chmod(pwfile, 0o600)
    local = work / "mail"
    local.mkdir(exist_ok=True)
    port = target.imaps_port if tls == "implicit" else target.imap_port
    ssltype = {None: "None", "starttls": "STARTTLS",
               "implicit": "IMAPS"}[tls]
    cert = f"CertificateFile {target.ca_file}\n" if tls else ""
    rc = work / "mbsyncrc"
    # isync 1.4 matches DNS names only, not IP addresses
    host = "localhost" if tls else "127.0.0.1"
    rc.write_text(MBSYNCRC.format(host=host, port=port, user=target.u("alice"),
                                  pwfile=pwfile, ssltype=ssltype,
                                  certline=cert, local=local))
    return rc, local


def mbsync(rc, timeout=60):
    p = subprocess.run([MBSYNC, "-c", str(rc), "-a"], capture_output=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    out = (p.stdout + p.stderr).decode(errors="replace")
    assert p.returncode == 0, f"mbsync exited {p.returncode}:\n{out}"
    return out


def local_messages(local, folder):
    """{key: (flags, bytes, path)} of a local Maildir folder (mbsync's
    Verbatim layout: INBOX is its own directory)."""
    d = local / folder
    out = {}
    for sub in ("cur", "new"):
        for f in (d / sub).iterdir() if (d / sub).is_dir() else ():
            data = f.read_bytes()
            flags = ""
            if ":2," in f.name:
                flags = f.name.split(":2,", 1)[1]
            out[key_of(data)] = (set(MAILDIR_FLAGS[c] for c in flags
                                     if c in MAILDIR_FLAGS), data, f)
    return out


MAILDIR_FLAGS = {"S": "\\Seen", "F": "\\Flagged", "R": "\\Answered",
                 "T": "\\Deleted", "D": "\\Draft"}
MAILDIR_LETTER = {v: k for k, v in MAILDIR_FLAGS.items()}


def set_local_flags(path, flags):
    """Renames a Maildir file to carry exactly `flags`."""
    base = path.name.split(":2,", 1)[0]
    letters = "".join(sorted(MAILDIR_LETTER[f] for f in flags))
    new = path.parent.parent / "cur" / f"{base}:2,{letters}"
    os.rename(path, new)
    return new


def folder_names(delim="/"):
    """The folders of the sync test: a hierarchy and a non-ASCII name."""
    return ["INBOX", "Sent", f"Archive{delim}2024", imap_utf7("Küche")]


@pytest.mark.parametrize("tls", [None, "starttls"])
def test_mbsync_two_way(target, work, tls):
    # -- the server's side: four folders, flags, a MIME message
    seed = {
        "INBOX": [(make_message(subject="in 1", msgid="in1@x"), None),
                  (make_message(subject="in 2", msgid="in2@x",
                                size=20000), "(\\Seen)"),
                  (multipart_message(3), "(\\Flagged \\Seen)")],
        "Sent": [(make_message(subject="sent 1", msgid="sent1@x"),
                  "(\\Seen)")],
        "Archive/2024": [(make_message(subject="arch 1", msgid="ar1@x"),
                          "(\\Seen)"),
                         (rfc822_message(2), "(\\Answered \\Seen)")],
        imap_utf7("Küche"): [(make_message(subject="k 1", msgid="k1@x"),
                              None)],
    }
    existing = server_folders(target)
    for folder, msgs in seed.items():
        for i, (data, flags) in enumerate(msgs):
            server_append(target, folder, data, flags,
                          create=(i == 0 and folder not in existing))
    rc, local = write_mbsyncrc(work, target, tls)

    # -- first run: everything comes down byte for byte, with its flags
    mbsync(rc)
    for folder, msgs in seed.items():
        got = local_messages(local, folder)
        assert set(got) == {key_of(d) for d, _ in msgs}, (folder, got)
        for data, flags in msgs:
            lflags, ldata, _ = got[key_of(data)]
            assert untuid(ldata) == lf(data), (folder, key_of(data))
            want = set(flags.strip("()").split()) if flags else set()
            assert lflags == want, (folder, key_of(data), lflags)
    remote_folders = server_folders(target)
    for name in remote_folders:     # every server folder exists here too
        assert (local / name / "cur").is_dir(), name

    # -- changes on both sides
    inbox = local_messages(local, "INBOX")
    new_local = make_message(subject="written here", msgid="local1@x",
                             body="Typed on the laptop.\r\n")
    (local / "INBOX" / "new" / "1790000000.M1P1.laptop").write_bytes(
        new_local)
    set_local_flags(inbox["in1@x"][2], {"\\Flagged", "\\Seen"})
    os.unlink(inbox["in2@x"][2])                       # deleted here
    (local / "Projects" / "new").mkdir(parents=True)
    for sub in ("cur", "tmp"):
        (local / "Projects" / sub).mkdir()
    (local / "Projects" / "new" / "1790000001.M2P1.laptop").write_bytes(
        make_message(subject="proj", msgid="proj1@x"))

    server_append(target, "INBOX", make_message(subject="in 4",
                                                msgid="in4@x"), None)
    c = target.imap("alice")
    c.select(imap_quote("Archive/2024"))
    typ, data = c.uid("SEARCH", "HEADER", "Message-ID", "ar1@x")
    uid = data[0].split()[0].decode()
    c.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    c.expunge()
    c.select(imap_quote(imap_utf7("Küche")))
    c.store("1", "+FLAGS", "(\\Flagged)")
    c.logout()

    # -- second run: both sides converge
    mbsync(rc)
    srv = server_messages(target, "INBOX")
    assert set(srv) == {"in1@x", "local1@x", "mp3@example.org", "in4@x"}, \
        srv.keys()
    assert srv["in1@x"][0] == {"\\Flagged", "\\Seen"}
    assert strip_tuid(srv["local1@x"][1]) == new_local
    srv = server_messages(target, "Projects")
    assert set(srv) == {"proj1@x"}
    loc = local_messages(local, "INBOX")
    assert set(loc) == {"in1@x", "local1@x", "mp3@example.org", "in4@x"}
    assert untuid(loc["in4@x"][1]) == lf(make_message(subject="in 4",
                                              msgid="in4@x"))
    loc = local_messages(local, "Archive/2024")
    assert set(loc) == {key_of(rfc822_message(2))}
    loc = local_messages(local, imap_utf7("Küche"))
    assert loc["k1@x"][0] == {"\\Flagged"}

    # -- conflux: what IMAP says is what the store holds on disk
    if target.name == "conflux":
        for folder in ("INBOX", "Projects", "Archive/2024"):
            srv = server_messages(target, folder)
            rows = target.cfx.messages(target.u("alice"), folder)
            disk = {key_of(Path(row[4]).read_bytes()):
                    Path(row[4]).read_bytes() for row in rows}
            assert disk == {k: v[1] for k, v in srv.items()}, folder
        assert target.cfx.check().returncode == 0

    # -- third run: nothing left to do, nothing changes
    before = {f: server_messages(target, f) for f in ("INBOX", "Projects")}
    mbsync(rc)
    after = {f: server_messages(target, f) for f in ("INBOX", "Projects")}
    assert before == after


def test_mbsync_imaps(target, work):
    server_append(target, "INBOX", make_message(subject="s", msgid="s1@x"))
    rc, local = write_mbsyncrc(work, target, "implicit")
    mbsync(rc)
    got = local_messages(local, "INBOX")
    assert untuid(got["s1@x"][1]) == lf(make_message(subject="s", msgid="s1@x"))


# ---------------------------------------------------------------------------
# curl

def netrc(work, target, user="alice"):
    f = work / "netrc"
    f.write_text(f"machine 127.0.0.1 login {target.u(user)} password {PW}\n"
                 f"machine localhost login {target.u(user)} password {PW}\n")
    os.chmod(f, 0o600)
    return f


def curl(work, target, url, *args, timeout=30, check=True):
    p = subprocess.run([CURL, "-sS", "--max-time", "20", "--netrc-file",
                        str(netrc(work, target)), *args, url],
                       capture_output=True, timeout=timeout)
    if check:
        assert p.returncode == 0, \
            f"curl {url} exited {p.returncode}: {p.stderr.decode()}"
    return p


def uid_of(target, key, folder="INBOX"):
    c = target.imap("alice")
    try:
        c.select(imap_quote(folder), readonly=True)
        typ, data = c.uid("SEARCH", "HEADER", "Message-ID", key)
        return int(data[0].split()[-1])
    finally:
        c.logout()


@pytest.mark.parametrize("scheme", ["imap", "imaps", "imap+starttls"])
def test_curl_fetch_by_uid(target, work, scheme):
    data = multipart_message(7)
    server_append(target, "INBOX", make_message(subject="x", msgid="x@x"))
    server_append(target, "INBOX", data)
    uid = uid_of(target, "mp7@example.org")
    args = []
    port = target.imap_port
    if scheme == "imaps":
        port = target.imaps_port
        args = ["--cacert", str(target.ca_file)]
    elif scheme == "imap+starttls":
        args = ["--ssl-reqd", "--cacert", str(target.ca_file)]
    proto = "imaps" if scheme == "imaps" else "imap"
    p = curl(work, target, f"{proto}://127.0.0.1:{port}/INBOX;UID={uid}",
             *args)
    assert p.stdout == data
    # a section of it, by name: curl asks for BODY[TEXT] ... or a part
    p = curl(work, target,
             f"{proto}://127.0.0.1:{port}/INBOX;UID={uid};SECTION=2", *args)
    assert p.stdout == b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="


def test_curl_tls_name_check(target, work):
    """curl checks the name: the certificate is for localhost and
    127.0.0.1, and a wrong CA fails."""
    server_append(target, "INBOX", make_message(msgid="t@x"))
    p = curl(work, target, f"imaps://localhost:{target.imaps_port}/INBOX"
             ";UID=1", "--cacert", str(target.ca_file), check=False)
    assert p.returncode == 0, p.stderr
    p = curl(work, target, f"imaps://127.0.0.1:{target.imaps_port}/INBOX"
             ";UID=1", check=False)             # system CAs only: refused
    assert p.returncode == 60, p.stderr


def test_curl_list_search_and_examine(target, work):
    server_append(target, "Projects/2026", make_message(msgid="p@x"),
                  create=True)
    server_append(target, "INBOX", make_message(subject="needle",
                                                msgid="n@x"))
    base = f"imap://127.0.0.1:{target.imap_port}"
    out = curl(work, target, base + "/").stdout.decode()
    assert re.search(r'^\* LIST \([^)]*\) "/" "?INBOX"?\r?$', out, re.M), out
    assert re.search(r'^\* LIST \([^)]*\) "/" "?Projects/2026"?\r?$', out,
                     re.M), out
    out = curl(work, target, base + "/INBOX?SUBJECT%20needle").stdout
    assert re.search(rb"^\* SEARCH \d+\r?$", out, re.M), out
    out = curl(work, target, base + "/INBOX", "-X", "EXAMINE INBOX").stdout
    assert re.search(rb"\* 1 EXISTS", out), out
    assert re.search(rb"UIDVALIDITY \d+", out), out


def test_curl_append(target, work):
    data = multipart_message(9)
    f = work / "upload.eml"
    f.write_bytes(data)
    curl(work, target, f"imap://127.0.0.1:{target.imap_port}/INBOX",
         "-T", str(f))
    srv = server_messages(target, "INBOX")
    assert srv["mp9@example.org"][1] == data
    # and over implicit TLS into another folder
    server_append(target, "Uploads", make_message(msgid="u0@x"), create=True)
    curl(work, target, f"imaps://127.0.0.1:{target.imaps_port}/Uploads",
         "-T", str(f), "--cacert", str(target.ca_file))
    srv = server_messages(target, "Uploads")
    assert srv["mp9@example.org"][1] == data


def test_curl_wrong_password(target, work):
    f = work / "badnetrc"
    f.write_text(f"machine 127.0.0.1 login {target.u('alice')} "
                 "password wrong\n")
    t0 = time.monotonic()
    p = subprocess.run([CURL, "-sS", "--max-time", "20", "--netrc-file",
                        str(f), f"imap://127.0.0.1:{target.imap_port}/"],
                       capture_output=True, timeout=30)
    assert p.returncode == 67, p.stderr     # CURLE_LOGIN_DENIED
    assert time.monotonic() - t0 >= 1.0
