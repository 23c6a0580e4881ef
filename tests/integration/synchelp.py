"""Helpers for the sync tests: accounts on a throwaway Dovecot, syncs, and
what each side holds."""
import collections

PORTS = {("imap", "none"): "imap_port", ("imap", "starttls"): "imap_port",
         ("imap", "implicit"): "imaps_port", ("pop3", "none"): "pop3_port",
         ("pop3", "starttls"): "pop3_port",
         ("pop3", "implicit"): "pop3s_port"}


def add_account(cfx, dov, user, name, proto="imap", tls="none", mode="both",
                remote_user=None, port=None, host="127.0.0.1", extra=(),
                password=None, check=True):
    remote_user = remote_user or user
    port = port or getattr(dov, PORTS[(proto, tls)])
    args = ["account", "add", user, name, "--proto", proto, "--host", host,
            "--port", str(port), "--tls", tls, "--login", remote_user,
            "--mode", mode, *extra]
    if tls != "none" and "--pin" not in extra and "--ca-file" not in extra:
        args += ["--ca-file", str(dov.ca.ca_cert)]
    pw = password if password is not None else dov.password(remote_user)
    return cfx.run(*args, input=pw + "\n", check=check)


def sync(cfx, *args, env=None, timeout=300):
    return cfx.run("sync", *args, check=False, env=env, timeout=timeout)


def local_ids(cfx, user, folder="INBOX"):
    return collections.Counter(r[3] for r in cfx.messages(user, folder))


def remote_ids(dov, user, folder="INBOX"):
    return collections.Counter(m["message_id"]
                               for m in dov.messages(user, folder, body=False))


def local_uid(cfx, user, msgid, folder="INBOX"):
    return next(r[0] for r in cfx.messages(user, folder) if r[3] == msgid)


def remote_uid(dov, user, msgid, folder="INBOX"):
    return next(m["uid"] for m in dov.messages(user, folder, body=False)
                if m["message_id"] == msgid)
