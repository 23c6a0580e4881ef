#!/usr/bin/python3
"""bench/sync_many.py: many accounts syncing at once in one conflux
process, on this machine's 2 cores.

A throwaway Dovecot gets N users (default 50) with M messages each (default
200, the corpus's realistic mix); conflux gets N local users with one IMAP
account each, and one `conflux sync` runs them all with [sync] max_jobs and
max_per_host set to N (all at once) and, for comparison, to 1 (one after
another). Reported: wall time, messages/s, CPU seconds, and the peak
resident memory of the whole process (GNU time), also per account.

    sudo /usr/bin/python3 bench/sync_many.py [--accounts 50] [--messages 200]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from peers import make_base_dir                     # noqa: E402
from peers.corpus import fill_dovecot, make_mailbox  # noqa: E402
from peers.dovecot import Dovecot                   # noqa: E402

CONFLUX = os.environ.get("CONFLUX_BIN", str(ROOT / "build/src/cli/conflux"))


def conflux(data, *args, input=None):
    return subprocess.run([CONFLUX, "-c", str(data / "conflux.conf"), *args],
                          input=input, capture_output=True, check=True)


def setup(base, name, dov, users, jobs):
    data = base / name
    subprocess.run([CONFLUX, "init", "--data", str(data)], check=True,
                   capture_output=True)
    conf = data / "conflux.conf"
    text = conf.read_text()
    text = re.sub(r"max_jobs = \d+", f"max_jobs = {jobs}", text)
    text = re.sub(r"max_per_host = \d+", f"max_per_host = {jobs}", text)
    conf.write_text(text)
    for u in users:
        conflux(data, "user", "add", u, input=b"pw\n")
        conflux(data, "account", "add", u, "remote", "--proto", "imap",
                "--host", "127.0.0.1", "--port", str(dov.imap_port),
                "--tls", "none", "--login", u, "--mode", "fetch",
                input=(dov.password(u) + "\n").encode())
    return data


def timed_sync(data):
    t0 = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", CONFLUX, "-c",
                           str(data / "conflux.conf"), "sync"],
                          capture_output=True)
    elapsed = time.monotonic() - t0
    if proc.returncode != 0:
        raise RuntimeError(proc.stdout.decode()[-2000:])
    rss_kb, user, sys_ = proc.stderr.decode().strip().splitlines()[-1].split()
    return elapsed, int(rss_kb) / 1024, float(user) + float(sys_)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--accounts", type=int, default=50)
    p.add_argument("--messages", type=int, default=200)
    args = p.parse_args()
    users = [f"u{i:02d}" for i in range(args.accounts)]
    base = Path(make_base_dir("conflux-many-"))
    dov = Dovecot(users=users, base=str(base / "dovecot"))
    dov.start()
    try:
        msgs = make_mailbox(args.messages, seed=7)
        for u in users:
            fill_dovecot(dov, u, msgs, check=False)
        total = args.accounts * args.messages
        mb = sum(len(m.data) for m in msgs) * args.accounts / 1e6
        print(f"{args.accounts} accounts x {args.messages} messages "
              f"({mb:.1f} MB) on one Dovecot, 2 cores")
        for jobs in (args.accounts, 1):
            data = setup(base, f"jobs{jobs}", dov, users, jobs)
            elapsed, rss, cpu = timed_sync(data)
            print(f"  max_jobs {jobs:3d}: {elapsed:6.2f} s  "
                  f"{total / elapsed:7.0f} msg/s  cpu {cpu:5.2f} s  "
                  f"peak rss {rss:6.1f} MiB "
                  f"({rss / args.accounts:.2f} MiB per account)")
    finally:
        dov.stop()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
