"""conflux deliver: a local delivery agent, and its answers to bad input."""
import os

from conftest import make_message


def test_deliver_stores_bytes_exactly(cfx):
    msg = make_message(msgid="one@example.org")
    proc = cfx.deliver("alice", msg)
    assert proc.returncode == 0, proc.stderr
    rows = cfx.messages("alice")
    assert len(rows) == 1
    uid, size, flags, msgid, path = rows[0]
    assert uid == 1 and msgid == "one@example.org" and flags == "-"
    assert size == len(msg)
    with open(path, "rb") as f:
        assert f.read() == msg
    assert "/cur/" in path and ",S=%d" % len(msg) in path
    assert cfx.check().returncode == 0


def test_deliver_to_a_folder_and_missing_folder_falls_back(cfx):
    assert cfx.deliver("alice", make_message(msgid="a@x"),
                       "--folder", "Archive").returncode == 0
    assert [r[3] for r in cfx.messages("alice", "Archive")] == ["a@x"]
    assert cfx.deliver("alice", make_message(msgid="b@x"),
                       "--folder", "No/Such").returncode == 0
    assert [r[3] for r in cfx.messages("alice")] == ["b@x"]


def test_uids_increase(cfx):
    for i in range(5):
        assert cfx.deliver("bob", make_message(msgid=f"{i}@x")).returncode == 0
    assert [r[0] for r in cfx.messages("bob")] == [1, 2, 3, 4, 5]


def test_unknown_user_exits_67(cfx):
    proc = cfx.deliver("mallory", make_message())
    assert proc.returncode == 67
    assert "no such user: mallory" in proc.stderr.decode()
    assert not cfx.maildir("mallory").exists()


def test_empty_message_is_refused(cfx):
    proc = cfx.deliver("alice", b"")
    assert proc.returncode == 65
    assert "empty" in proc.stderr.decode()
    assert cfx.messages("alice") == []
    assert os.listdir(cfx.maildir("alice") / "tmp") == []


def test_bare_lf_sizes_count_crlf(cfx):
    msg = make_message(msgid="lf@x", body="line one\nline two\n", eol="\n")
    assert b"\r" not in msg
    assert cfx.deliver("alice", msg).returncode == 0
    (uid, size, _, _, path), = cfx.messages("alice")
    assert size == len(msg) + msg.count(b"\n")
    with open(path, "rb") as f:
        assert f.read() == msg          # kept as received


def test_mixed_line_ends_size(cfx):
    msg = b"Subject: mixed\r\nFrom: a@b\n\r\nbody\nmore\r\n"
    assert cfx.deliver("alice", msg).returncode == 0
    (_, size, _, msgid, _), = cfx.messages("alice")
    assert size == len(msg) + 2 and msgid == "-"


def test_8mb_message_with_1mb_header_line(cfx):
    long_value = "x" * (1024 * 1024)
    msg = make_message(msgid="big@x", size=8 * 1024 * 1024,
                       extra_headers=[f"X-Long: {long_value}"])
    proc = cfx.deliver("alice", msg)
    assert proc.returncode == 0, proc.stderr
    (_, size, _, msgid, path), = cfx.messages("alice")
    assert msgid == "big@x" and size == len(msg)
    with open(path, "rb") as f:
        assert f.read() == msg


def test_message_id_after_a_huge_header_is_not_needed(cfx):
    # A header section larger than max_header_parse: the message is stored
    # whole; metadata beyond the cap is simply not seen.
    msg = (b"X-Huge: " + b"y" * (600 * 1024) + b"\r\n"
           b"Message-ID: <late@x>\r\n\r\nbody\r\n")
    assert cfx.deliver("alice", msg).returncode == 0
    (_, size, _, _, path), = cfx.messages("alice")
    assert size == len(msg)
    with open(path, "rb") as f:
        assert f.read() == msg


def test_too_large_message_is_refused_and_leaves_nothing(cfx):
    text = cfx.conf.read_text().replace("max_message_size = 64M",
                                        "max_message_size = 1M")
    cfx.conf.write_text(text)
    proc = cfx.deliver("alice", make_message(size=2 * 1024 * 1024))
    assert proc.returncode == 65
    assert "max_message_size" in proc.stderr.decode() or \
        "too large" in proc.stderr.decode()
    assert cfx.messages("alice") == []
    assert os.listdir(cfx.maildir("alice") / "tmp") == []
    assert cfx.check().returncode == 0


def test_mbox_envelope_line_is_dropped(cfx):
    msg = make_message(msgid="env@x")
    proc = cfx.deliver("alice", b"From sender@example.org Sun Nov 29 07:00:00 2026\n" + msg)
    assert proc.returncode == 0
    (_, _, _, _, path), = cfx.messages("alice")
    with open(path, "rb") as f:
        assert f.read() == msg


def test_deliver_without_user_is_a_usage_error(cfx):
    proc = cfx.run("deliver", check=False)
    assert proc.returncode == 2
