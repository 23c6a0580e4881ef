"""LMTP deliveries killed at every crash point of the group commit
(lib/crash.h): after `conflux store check --repair`, a recipient that got
250 has its message exactly once, any other at most once (DESIGN
invariants 1 and 3)."""
import os
import smtplib
from collections import Counter

from conftest import init_data, make_message
from served import PASSWORD, Served

RCPTS = ["alice", "bob", "carol"]


def deliver(port, msgid):
    """Sends one message to every RCPT; returns the set of recipients that
    were answered 250 (a cut connection answers nobody further)."""
    ok = set()
    try:
        lmtp = smtplib.LMTP("127.0.0.1", port, timeout=20)
        lmtp.docmd("LHLO", "crash")
        assert lmtp.docmd("MAIL FROM:<a@b>")[0] == 250
        for r in RCPTS:
            assert lmtp.docmd(f"RCPT TO:<{r}>")[0] == 250
        assert lmtp.docmd("DATA")[0] == 354
        lmtp.send(make_message(msgid=msgid) + b".\r\n")
        for r in RCPTS:
            if lmtp.getreply()[0] == 250:
                ok.add(r)
        lmtp.close()
    except (smtplib.SMTPException, OSError):
        pass
    return ok


def counts(cfx, user):
    return Counter(m[3] for m in cfx.messages(user))


def start(cfx, base, env):
    """A daemon with env added; its log in a directory of its own (the
    start-up waits for the "ready" line of the log)."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    base.mkdir()
    try:
        return Served(cfx, base).start()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k)
            else:
                os.environ[k] = v


def test_every_crash_point_of_a_group_commit(base_dir):
    cfx = init_data(base_dir)
    for u in RCPTS:
        cfx.add_user(u, PASSWORD)
    trace = base_dir / "trace"
    trace.touch()
    trace.chmod(0o666)        # the daemon runs as its own user
    s = start(cfx, base_dir / "trace-run", {"CONFLUX_CRASH_TRACE": str(trace)})
    before = len(trace.read_text().splitlines())
    assert deliver(s.lmtp_port, "trace@x") == set(RCPTS)
    after = len(trace.read_text().splitlines())
    names = [ln.split()[1] for ln in trace.read_text().splitlines()[before:]]
    assert s.stop() == 0
    # three drafts: syncfs, renames, one syncfs for the three cur/
    assert "store.tmp.syncfs" in names and "db.commit.done" in names, names
    for i in range(1, after - before + 1):
        assert cfx.run("store", "check", "--repair").returncode in (0, 1)
        s = start(cfx, base_dir / f"run-{i}",
                  {"CONFLUX_CRASH_AT": str(before + i)})
        msgid = f"crash-{i}@x"
        ok = deliver(s.lmtp_port, msgid)
        s.proc.wait(20)
        assert s.proc.returncode == 86, (i, names[i - 1], s.log()[-2000:])
        s.stop()
        cfx.run("store", "check", "--repair", check=False)
        assert cfx.run("store", "check").returncode == 0
        for u in RCPTS:
            n = counts(cfx, u)[msgid]
            if u in ok:
                assert n == 1, (i, names[i - 1], u)
            else:
                assert n <= 1, (i, names[i - 1], u)
    for u in RCPTS:
        assert counts(cfx, u)["trace@x"] == 1
