"""conflux's mime/ against a real Dovecot 2.3: for every message of
peers/mimecorpus.py, BODYSTRUCTURE, BODY, ENVELOPE and BODY[section] from
tests/tools/mime-dump must equal Dovecot's FETCH answers byte for byte.

The mime-dump binary comes from MIME_DUMP_BIN (default
build/tests/tools/mime-dump)."""
import os
import re
import subprocess
from pathlib import Path

import pytest

from peers import mimecorpus
from peers.fixtures import dovecot_module, peer_ca  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
DUMP = os.environ.get("MIME_DUMP_BIN",
                      str(ROOT / "build" / "tests" / "tools" / "mime-dump"))
MESSAGES = mimecorpus.messages()
_LITERAL = re.compile(rb"\{(\d+)\}\r\n$")


def dump(path, sections):
    """mime-dump's items: {name: bytes or None for BAD}"""
    out = subprocess.run([DUMP, str(path), *sections], check=True,
                         capture_output=True, timeout=60).stdout
    items, pos = {}, 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        name, _, size = out[pos:nl].rpartition(b" ")
        if size == b"BAD":
            items[name.decode()] = None
            pos = nl + 1
            continue
        n = int(size)
        items[name.decode()] = out[nl + 1:nl + 1 + n]
        pos = nl + 1 + n + 1
    return items


def raw_fetch(conn, seq, item):
    """The bytes of Dovecot's untagged FETCH answer, literals inline;
    None when the command failed (BAD)."""
    tag = conn._new_tag()
    conn.send(tag + b" FETCH " + seq + b" (" + item.encode() + b")\r\n")
    out = b""
    while True:
        line = conn._get_line() + b"\r\n"
        if line.startswith(tag):
            return out if b" OK " in line else None
        out += line
        m = _LITERAL.search(line)
        if m:
            out += conn.read(int(m.group(1)))


def fetch_value(conn, seq, item):
    resp = raw_fetch(conn, seq, item)
    if resp is None:
        return None
    assert resp.startswith(b"* " + seq + b" FETCH (") and \
        resp.endswith(b")\r\n"), resp
    inner = resp[len(b"* " + seq + b" FETCH ("):-3]
    if item.startswith("BODY.PEEK["):
        value = inner[inner.index(b"] ") + 2:]
        if value == b"NIL":
            return b""
        if value.startswith(b'"'):
            return value[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        m = re.match(rb"\{(\d+)\}\r\n", value)
        return value[m.end():]
    name = item.encode() + b" "
    assert inner.startswith(name), inner
    return inner[len(name):]


@pytest.fixture(scope="module")
def mailbox(dovecot_module):
    """Every corpus message appended to alice's INBOX: {name: seq}"""
    conn = dovecot_module.imap("alice")
    conn.select("INBOX")
    seqs = {}
    for i, (name, data) in enumerate(MESSAGES.items(), 1):
        typ, _ = conn.append("INBOX", None, None, data)
        assert typ == "OK", name
        seqs[name] = str(i).encode()
    conn.select("INBOX")
    return conn, seqs


def test_corpus_is_big_enough():
    assert len(MESSAGES) >= 25


@pytest.mark.skipif(not os.access(DUMP, os.X_OK), reason="no mime-dump")
@pytest.mark.parametrize("name", list(MESSAGES))
def test_matches_dovecot(name, mailbox, tmp_path):
    conn, seqs = mailbox
    path = tmp_path / "msg.eml"
    path.write_bytes(MESSAGES[name])
    mine = dump(path, mimecorpus.SECTIONS)
    diffs = []
    for item in ["BODYSTRUCTURE", "BODY", "ENVELOPE"]:
        theirs = fetch_value(conn, seqs[name], item)
        if mine[item] != theirs:
            diffs.append((item, theirs, mine[item]))
    for sec in mimecorpus.SECTIONS:
        theirs = fetch_value(conn, seqs[name], f"BODY.PEEK[{sec}]")
        if mine[f"BODY[{sec}]"] != theirs:
            diffs.append((sec, theirs, mine[f"BODY[{sec}]"]))
    assert not diffs, "\n".join(
        f"{what}:\n  dovecot: {d!r}\n  conflux: {c!r}" for what, d, c in diffs)
