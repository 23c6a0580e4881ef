"""Invariant 1 and 3 of DESIGN.md for local delivery: a crash at any point
leaves every acknowledged message exactly once, an unacknowledged one at most
once, files and index in agreement, and nothing in tmp/."""
import collections
import os
import random
import signal
import subprocess
import time

import pytest

from conftest import BIN, IS_ROOT, init_data, make_message

CRASH_EXIT = 86


def trace_dir(base):
    d = base / "trace"
    d.mkdir(exist_ok=True)
    os.chmod(d, 0o777)          # written after conflux drops privileges
    return d


def crash_points(cfx, base, args, input):
    """The named crash points one run of `args` passes, in order."""
    trace = trace_dir(base) / f"trace-{time.monotonic_ns()}"
    proc = cfx.run(*args, input=input, env={"CONFLUX_CRASH_TRACE": str(trace)})
    assert proc.returncode == 0
    return [line.split()[1] for line in trace.read_text().splitlines()]


def msgid_counts(cfx, user, folder="INBOX"):
    return collections.Counter(r[3] for r in cfx.messages(user, folder))


def tmp_files(cfx, user):
    found = []
    for root, dirs, files in os.walk(cfx.maildir(user)):
        if os.path.basename(root) == "tmp":
            found += files
    return found


def assert_consistent(cfx, user):
    """Repair, then a second check must find nothing left to repair."""
    repair = cfx.check(repair=True)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    proc = cfx.check()
    assert proc.returncode == 0, proc.stdout.decode()
    assert tmp_files(cfx, user) == []


def test_every_crash_point_of_a_delivery(cfx, base_dir):
    points = crash_points(cfx, base_dir, ["deliver", "alice"],
                          make_message(msgid="probe@x"))
    # The durability order of store.h, all of it behind crash points.
    order = ["store.tmp.create", "store.tmp.write", "store.tmp.fsync",
             "store.rename", "store.dir.fsync", "db.commit",
             "db.commit.done"]
    assert [p for p in points if p in order] == order
    renamed_at = points.index("store.rename") + 1
    for n in range(1, len(points) + 1):
        msgid = f"crash-{n}@x"
        proc = cfx.deliver("alice", make_message(msgid=msgid),
                           env={"CONFLUX_CRASH_AT": str(n)})
        assert proc.returncode == CRASH_EXIT, (n, points[n - 1], proc.stderr)
        assert_consistent(cfx, "alice")
        count = msgid_counts(cfx, "alice")[msgid]
        # Killed before the rename: gone. From the rename on, the file is
        # in cur/ and the repair must index it, never lose it.
        expected = 1 if n > renamed_at else 0
        assert count == expected, (n, points[n - 1], count)
    counts = msgid_counts(cfx, "alice")
    assert counts["probe@x"] == 1
    assert all(v == 1 for v in counts.values())


@pytest.mark.parametrize("count", [4, 10])
def test_every_crash_point_of_a_batch_append(cfx, base_dir, count):
    msgs = []
    for i in range(count):
        path = base_dir / f"m{i}.eml"
        path.write_bytes(make_message(msgid=f"batch-{i}@x", size=4000 * (i + 1)))
        os.chmod(path, 0o644)
        msgs.append(str(path))
    os.chmod(base_dir, 0o755)
    points = crash_points(cfx, base_dir, ["store", "import", "bob", *msgs], None)
    # Small batches fsync each file, larger ones flush them with one syncfs.
    if count < 8:
        assert points.count("store.tmp.fsync") == count
    else:
        assert points.count("store.tmp.syncfs") == 1
    first_rename = points.index("store.rename")
    assert all(p.startswith("store.tmp.") for p in points[:first_rename])
    assert points.count("store.dir.fsync") == 1      # shared by the batch
    assert points.count("db.commit") == 1            # one commit
    renames = [i + 1 for i, p in enumerate(points) if p == "store.rename"]
    cfx.run("user", "del", "bob", "--purge")
    cfx.add_user("bob")
    for n in range(1, len(points) + 1):
        proc = cfx.run("store", "import", "bob", *msgs, check=False,
                       env={"CONFLUX_CRASH_AT": str(n)})
        assert proc.returncode == CRASH_EXIT, (n, points[n - 1])
        assert_consistent(cfx, "bob")
        after = msgid_counts(cfx, "bob")
        # Every file renamed into cur/ before the crash survives (indexed
        # by the commit or by the repair), each once; nothing else does.
        renamed = sum(1 for r in renames if r < n)
        assert sum(after.values()) == renamed, (n, points[n - 1], after)
        assert all(v == 1 for v in after.values())
        # start over for the next point
        cfx.run("user", "del", "bob", "--purge")
        cfx.add_user("bob")
    proc = cfx.run("store", "import", "bob", *msgs)
    assert sorted(msgid_counts(cfx, "bob")) == sorted(
        f"batch-{i}@x" for i in range(count))


def spawn_deliver(cfx, path):
    with open(path, "rb") as f:
        return subprocess.Popen([BIN, "-c", str(cfx.conf), "deliver", "alice"],
                                stdin=f, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)


def delivery_time(cfx, path, runs=5):
    """Median wall time of an uninterrupted delivery of `path`."""
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        assert spawn_deliver(cfx, path).wait() == 0
        times.append(time.monotonic() - t0)
    return sorted(times)[runs // 2]


def test_sigkill_during_deliveries(cfx, base_dir):
    rng = random.Random(20261129)
    sizes = [2000, 30000, 300000, 2000000]
    samples = {}
    for size in sizes:
        path = base_dir / f"sample-{size}.eml"
        path.write_bytes(make_message(msgid=f"sample-{size}@x", size=size))
        samples[size] = delivery_time(cfx, path)
    acked, killed = [], []
    kills = 0
    # At least 70 deliveries, more (bounded) until 50 were killed: the
    # timings sampled above drift when the machine is busy, so a fixed
    # count could fall short of 50 kills without anything being wrong.
    for i in range(150):
        if i >= 70 and kills >= 50:
            break
        msgid = f"kill-{i}@x"
        size = rng.choice(sizes)
        path = base_dir / "msg.eml"
        path.write_bytes(make_message(msgid=msgid, size=size))
        proc = spawn_deliver(cfx, path)
        # Kill anywhere in the life of the process: start-up, writing,
        # fsync, rename, commit; now and then it finishes first.
        time.sleep(rng.uniform(0.0, samples[size] * 1.1))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        rc = proc.wait()
        assert rc in (0, -signal.SIGKILL), rc
        (acked if rc == 0 else killed).append(msgid)
        assert_consistent(cfx, "alice")
    counts = msgid_counts(cfx, "alice")
    for msgid in acked:
        assert counts[msgid] == 1, msgid
    for msgid in killed:
        assert counts[msgid] <= 1, msgid
    assert kills >= 50, f"only {kills} deliveries were killed mid-way"
    # Some killed deliveries got far enough to be kept: the kills reached
    # past the rename, not only the start-up.
    assert any(counts[m] == 1 for m in killed)


@pytest.fixture
def small_fs(base_dir):
    if not IS_ROOT:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = base_dir / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m,mode=0755",
                    "tmpfs", str(mnt)], check=True)
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def fill(path, leave=0):
    """Fills the file system holding `path` but for about `leave` bytes;
    returns the filler file."""
    filler = path / "filler"
    with open(filler, "wb", buffering=0) as f:
        chunk = b"\0" * 4096
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
    if leave:
        os.truncate(filler, max(0, os.path.getsize(filler) - leave))
    return filler


def test_disk_full_is_a_temporary_failure(small_fs):
    cfx = init_data(small_fs)
    cfx.add_user("alice")
    assert cfx.deliver("alice", make_message(msgid="before@x")).returncode == 0
    # Completely full: even the database cannot be opened for writing.
    filler = fill(small_fs)
    proc = cfx.deliver("alice", make_message(msgid="full@x", size=3000))
    assert proc.returncode == 75, proc.stderr
    assert b"No space left" in proc.stderr or b"disk full" in proc.stderr
    assert tmp_files(cfx, "alice") == []
    os.unlink(filler)
    # Room for the database, not for the message: the store's own write
    # meets ENOSPC part-way through the file.
    filler = fill(small_fs, leave=256 * 1024)
    for i, size in enumerate([600_000, 2_000_000]):
        proc = cfx.deliver("alice", make_message(msgid=f"big-{i}@x", size=size))
        assert proc.returncode == 75, (size, proc.stderr)
        assert b"disk full" in proc.stderr, proc.stderr
        assert tmp_files(cfx, "alice") == []
        assert cfx.check().returncode == 0
    os.unlink(filler)
    assert cfx.check().returncode == 0
    assert list(msgid_counts(cfx, "alice")) == ["before@x"]
    assert cfx.deliver("alice", make_message(msgid="after@x")).returncode == 0
    assert sorted(msgid_counts(cfx, "alice")) == ["after@x", "before@x"]
