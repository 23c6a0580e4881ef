"""A throwaway Dovecot 2.3 for tests and benchmarks.

    with Dovecot(users=["alice", "bob"]) as dov:   # or dov.start() / dov.stop()
        dov.imap_port, dov.imaps_port, dov.pop3_port, dov.pop3s_port, dov.lmtp_port
        dov.ca.ca_cert                  # CA file for ssl.create_default_context
        dov.password("alice")           # every user's password: "pw-<user>"
        c = dov.imap("alice", tls=None|"starttls"|"implicit")   # logged in
        p = dov.pop3("alice", tls=None|"stls"|"implicit", apop=False)
        dov.lmtp_deliver("alice", data)
        uid = dov.append("alice", "INBOX", data, flags=("\\Seen",))
        dov.messages("alice", "INBOX") -> [{uid, flags, size, message_id, body}]

Every path lives under one directory (mode 0711 under /tmp): configuration,
base_dir, state_dir, logs, the passwd-file, the TLS files and the mail
(maildir:DIR/mail/%u, Maildir++ layout). Mail belongs to the `mail` user
(uid 8). Dovecot listens on 127.0.0.1 only, on ports free at start, and runs
in the foreground (-F) as a child of the test process in its own process
group, so stop() can always end all of it.

The helpers that use IMAP keep one logged-in connection per user and reuse
it; they are not thread-safe (use one Dovecot per thread, or a lock)."""
import email.parser
import email.policy
import imaplib
import os
import poplib
import re
import shutil
import signal
import smtplib
import ssl
import subprocess
import time
from pathlib import Path

from . import LOOPBACK, free_port, make_base_dir, wait_port
from .tlsca import make_ca

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
MAIL_UID = 8            # the `mail` user and group on Debian
MAIL_GID = 8
SPECIAL = {"Sent": "\\Sent", "Drafts": "\\Drafts", "Trash": "\\Trash",
           "Junk": "\\Junk", "Archive": "\\Archive"}

CONFIG = """\
# Written by tests/integration/peers/dovecot.py: a throwaway instance.
instance_name = {instance}
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/log/dovecot.log
info_log_path = {dir}/log/dovecot.log
debug_log_path = {dir}/log/dovecot.log
protocols = imap pop3 lmtp
listen = 127.0.0.1
shutdown_clients = yes
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5 apop
auth_username_format = %Ln
auth_cache_size = 0
first_valid_uid = {uid}
last_valid_uid = 0
first_valid_gid = 1
mail_location = maildir:{dir}/mail/%u
mail_plugins =
mail_max_userip_connections = 200
mail_fsync = {fsync}
postmaster_address = postmaster@localhost
hostname = localhost
pop3_uidl_format = %08Xu%08Xv
{extra}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%Ln {dir}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%Ln {dir}/users
}}
namespace inbox {{
  inbox = yes
  separator = {separator}
  prefix =
{special}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    address = 127.0.0.1
    port = {pop3s_port}
    ssl = yes
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
"""


def imap_utf7(name):
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 5.1.3)."""
    import base64
    out, buf = [], []

    def flush():
        if buf:
            b = base64.b64encode("".join(buf).encode("utf-16-be"))
            out.append("&" + b.decode().rstrip("=").replace("/", ",") + "-")
            buf.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def imap_utf7_decode(name):
    """The inverse of imap_utf7()."""
    import base64
    out, i = [], 0
    while i < len(name):
        if name[i] == "&":
            j = name.index("-", i)
            if j == i + 1:
                out.append("&")
            else:
                b = name[i + 1:j].replace(",", "/")
                b += "=" * (-len(b) % 4)
                out.append(base64.b64decode(b).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def quote(name):
    """A mailbox name as an IMAP quoted string (modified UTF-7 applied)."""
    name = imap_utf7(name)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_FETCH_UID = re.compile(rb"UID (\d+)")
_FETCH_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_FETCH_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")
_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)


def message_id(data):
    """The Message-ID of raw message bytes, without <>, or None."""
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    mid = _HEADERS.parsebytes(head + b"\n\n").get("Message-ID")
    if mid is None:
        return None
    return str(mid).strip().strip("<>") or None


class DovecotError(RuntimeError):
    pass


class Dovecot:
    """One throwaway Dovecot. Parameters:
    users      user names (password "pw-<name>", or pass a dict name->pw)
    ca         a tlsca.TestCA to share (default: a new one under DIR/tls)
    base       parent directory (default: a fresh 0711 dir under /tmp)
    separator  the hierarchy separator ("/" by default)
    fsync      Dovecot's mail_fsync: "optimized" (default), "always", "never"
    extra      more lines for dovecot.conf"""

    def __init__(self, users=("alice", "bob"), ca=None, base=None,
                 separator="/", fsync="optimized", extra=""):
        if isinstance(users, dict):
            self.users = dict(users)
        else:
            self.users = {u: f"pw-{u}" for u in users}
        self._own_base = base is None
        self.dir = Path(base or make_base_dir("dovecot-"))
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o711)
        self.ca = ca
        self.separator = separator
        self.fsync = fsync
        self.extra = extra
        self.proc = None
        self._conns = {}
        self.conf = self.dir / "dovecot.conf"
        self.log = self.dir / "log" / "dovecot.log"

    # -- life cycle --------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def _write_config(self):
        special = "\n".join(
            f"  mailbox {name} {{\n    special_use = {use}\n"
            f"    auto = subscribe\n  }}" for name, use in SPECIAL.items())
        self.conf.write_text(CONFIG.format(
            instance=f"dovecot-test-{os.getpid()}-{self.imap_port}",
            dir=self.dir, cert=self.ca.server_cert, key=self.ca.server_key,
            uid=MAIL_UID, fsync=self.fsync, separator=self.separator,
            special=special, extra=self.extra, imap_port=self.imap_port,
            imaps_port=self.imaps_port, pop3_port=self.pop3_port,
            pop3s_port=self.pop3s_port, lmtp_port=self.lmtp_port))

    def _write_users(self):
        lines = []
        for user, pw in self.users.items():
            home = self.home(user)
            if not home.exists():
                home.mkdir(parents=True)
                os.chown(home, MAIL_UID, MAIL_GID)
            lines.append(f"{user}:{{PLAIN}}{pw}:{MAIL_UID}:{MAIL_GID}::"
                         f"{home}::")
        tmp = self.dir / "users.tmp"
        tmp.write_text("\n".join(lines) + "\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.dir / "users")

    def start(self, timeout=10.0):
        """Start Dovecot; returns when every port accepts connections."""
        if self.ca is None:
            self.ca = make_ca(self.dir / "tls")
        for sub in ("run", "state", "log", "home"):
            (self.dir / sub).mkdir(exist_ok=True)
        for sub in ("home",):
            os.chmod(self.dir / sub, 0o711)
        mail = self.dir / "mail"
        mail.mkdir(exist_ok=True)
        os.chown(mail, MAIL_UID, MAIL_GID)
        os.chmod(mail, 0o700)
        self._write_users()
        last = ""
        for _attempt in range(3):       # a port may be taken between the
            self.imap_port, self.imaps_port, self.pop3_port, \
                self.pop3s_port, self.lmtp_port = self._ports()
            self._write_config()
            self.proc = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.conf)],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=open(self.dir / "log" / "stderr.log", "ab"),
                start_new_session=True)
            ok = all(wait_port(p, timeout=timeout, proc=self.proc)
                     for p in self.ports())
            if ok:
                return self
            last = self._log_tail()
            self._kill()
            if "in use" not in last:
                break
        raise DovecotError(f"dovecot did not start: {last}")

    def _ports(self):
        ports = set()
        while len(ports) < 5:           # bounded: the kernel hands out
            ports.add(free_port())      # distinct ports almost always
        return sorted(ports)

    def ports(self):
        return [self.imap_port, self.imaps_port, self.pop3_port,
                self.pop3s_port, self.lmtp_port]

    def _log_tail(self, n=4000):
        text = ""
        for name in ("dovecot.log", "stderr.log"):
            p = self.dir / "log" / name
            if p.exists():
                text += p.read_text(errors="replace")[-n:]
        return text

    def _kill(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # SIGTERM to the whole group: the master alone waits ~1 s for
            # its children, the group ends in ~10 ms.
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:                            # anything left in its group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        self.proc = None

    def stop(self, keep=False):
        """Stop Dovecot and (unless keep) remove its directory."""
        self.close_connections()
        self._kill()
        if not keep and self._own_base:
            shutil.rmtree(self.dir, ignore_errors=True)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def reset(self):
        """Empty every user's mail (for module-scoped instances)."""
        self.close_connections()
        for user in self.users:
            shutil.rmtree(self.maildir(user), ignore_errors=True)
            home = self.home(user)
            shutil.rmtree(home, ignore_errors=True)
        self._write_users()

    def add_user(self, user, password=None):
        """Add a user while running (Dovecot re-reads the passwd-file)."""
        self.users[user] = password or f"pw-{user}"
        self._write_users()
        # passwd-file is re-read on a changed mtime, but stat()ed at most
        # once a second: a reload (SIGHUP) starts a fresh auth process.
        if self.running():
            self.proc.send_signal(signal.SIGHUP)
            time.sleep(0.1)

    # -- paths and tools ---------------------------------------------
    def password(self, user):
        return self.users[user]

    def maildir(self, user, folder="INBOX"):
        """The Maildir++ directory of a folder (INBOX is the root)."""
        root = self.dir / "mail" / user.lower()
        if folder.upper() == "INBOX":
            return root
        return root / ("." + imap_utf7(folder).replace(self.separator, "."))

    def home(self, user):
        return self.dir / "home" / user.lower()

    def doveadm(self, *args, check=True, timeout=60):
        proc = subprocess.run([DOVEADM, "-c", str(self.conf), *args],
                              capture_output=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise DovecotError(f"doveadm {' '.join(args)}: "
                               f"{proc.stderr.decode(errors='replace')}")
        return proc.stdout.decode(errors="replace")

    # -- clients -------------------------------------------------------
    def imap(self, user, tls=None, password=None, context=None, login=True):
        """An imaplib connection, logged in unless login=False.
        tls: None (plain), "starttls" or "implicit"; certificates are
        checked against the test CA unless another context is given."""
        ctx = context or self.ca.client_context()
        if tls == "implicit":
            c = imaplib.IMAP4_SSL(LOOPBACK, self.imaps_port, ssl_context=ctx,
                                  timeout=30)
        else:
            c = imaplib.IMAP4(LOOPBACK, self.imap_port, timeout=30)
            if tls == "starttls":
                c.starttls(ctx)
        if login:
            c.login(user, password or self.users[user])
        return c

    def pop3(self, user, tls=None, password=None, context=None, apop=False,
             login=True):
        """A poplib connection, logged in unless login=False.
        tls: None, "stls" or "implicit"."""
        ctx = context or self.ca.client_context()
        if tls == "implicit":
            p = poplib.POP3_SSL(LOOPBACK, self.pop3s_port, context=ctx,
                                timeout=30)
        else:
            p = poplib.POP3(LOOPBACK, self.pop3_port, timeout=30)
            if tls == "stls":
                p.stls(ctx)
        if login:
            pw = password or self.users[user]
            if apop:
                p.apop(user, pw)
            else:
                p.user(user)
                p.pass_(pw)
        return p

    def lmtp_deliver(self, user, data, sender="sender@example.org"):
        """Deliver one message to user's INBOX over LMTP (Dovecot adds a
        Return-Path and a Delivered-To header)."""
        users = [user] if isinstance(user, str) else list(user)
        with smtplib.LMTP(LOOPBACK, self.lmtp_port, timeout=30) as s:
            refused = s.sendmail(sender, [f"{u}@localhost" for u in users],
                                 data)
        if refused:
            raise DovecotError(f"LMTP refused {refused}")

    # -- IMAP helpers over a cached connection --------------------------
    def _conn(self, user):
        c = self._conns.get(user)
        if c is not None:
            try:
                c.noop()
                return c
            except (imaplib.IMAP4.error, OSError):
                self._conns.pop(user, None)
        c = self.imap(user)
        self._conns[user] = c
        return c

    def close_connections(self):
        for c in self._conns.values():
            try:
                c.logout()
            except Exception:
                pass
        self._conns.clear()

    @staticmethod
    def _ok(res, what):
        typ, data = res
        if typ != "OK":
            raise DovecotError(f"{what}: {typ} {data}")
        return data

    def _select(self, user, folder, readonly=False):
        c = self._conn(user)
        self._ok(c.select(quote(folder), readonly=readonly),
                 f"SELECT {folder}")
        return c

    def folders(self, user):
        """Folder names (decoded from modified UTF-7)."""
        c = self._conn(user)
        out = []
        for line in self._ok(c.list(), "LIST"):
            m = re.match(rb'\(([^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (.*)$',
                         line)
            name = m.group(2).decode()
            if name.startswith('"'):
                name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            out.append(imap_utf7_decode(name))
        return out

    def create_folder(self, user, folder, subscribe=True):
        c = self._conn(user)
        self._ok(c.create(quote(folder)), f"CREATE {folder}")
        if subscribe:
            self._ok(c.subscribe(quote(folder)), f"SUBSCRIBE {folder}")

    def delete_folder(self, user, folder):
        c = self._conn(user)
        try:
            c.unselect()
        except (imaplib.IMAP4.error, AttributeError):
            pass
        c.unsubscribe(quote(folder))
        self._ok(c.delete(quote(folder)), f"DELETE {folder}")

    def recreate_folder(self, user, folder):
        """Delete and create `folder` so it gets a new UIDVALIDITY; returns
        (old, new) UIDVALIDITY and asserts they differ. The folder is empty
        afterwards."""
        old = self.uidvalidity(user, folder)
        self.delete_folder(user, folder)
        self.create_folder(user, folder)
        new = self.uidvalidity(user, folder)
        assert new != old, f"UIDVALIDITY of {folder} unchanged ({old})"
        return old, new

    def status(self, user, folder,
               items="MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ"):
        c = self._conn(user)
        data = self._ok(c.status(quote(folder), f"({items})"), "STATUS")
        text = data[0].decode()
        inner = text[text.rindex("(") + 1:text.rindex(")")].split()
        return {k: int(v) for k, v in zip(inner[::2], inner[1::2])}

    def uidvalidity(self, user, folder="INBOX"):
        return self.status(user, folder, "UIDVALIDITY")["UIDVALIDITY"]

    def append(self, user, folder, data, flags=(), date=None):
        """APPEND one message; returns its UID (from APPENDUID)."""
        c = self._conn(user)
        fl = "(" + " ".join(flags) + ")" if flags else None
        when = imaplib.Time2Internaldate(date) if date is not None else None
        res = self._ok(c.append(quote(folder), fl, when, data),
                       f"APPEND {folder}")
        m = re.search(rb"APPENDUID \d+ (\d+)", res[0] or b"")
        return int(m.group(1)) if m else None

    def messages(self, user, folder="INBOX", body=True):
        """[{uid, flags, size, message_id, body}] in UID order; flags is a
        sorted list without \\Recent; body the raw bytes (or None)."""
        c = self._select(user, folder, readonly=True)
        items = "(UID FLAGS RFC822.SIZE BODY.PEEK[])" if body else \
            "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"
        data = self._ok(c.uid("FETCH", "1:*", items), "UID FETCH")
        out = []
        i = 0
        while i < len(data):
            item = data[i]
            if isinstance(item, tuple):
                meta = item[0]
                if i + 1 < len(data) and isinstance(data[i + 1], bytes):
                    meta += data[i + 1]
                    i += 1
                raw = item[1]
                flags = _FETCH_FLAGS.search(meta).group(1).decode().split()
                out.append({
                    "uid": int(_FETCH_UID.search(meta).group(1)),
                    "flags": sorted(f for f in flags if f != "\\Recent"),
                    "size": int(_FETCH_SIZE.search(meta).group(1)),
                    "message_id": message_id(raw),
                    "body": raw if body else None,
                })
            i += 1
        c.close()
        out.sort(key=lambda m: m["uid"])
        return out

    def uids(self, user, folder="INBOX"):
        c = self._select(user, folder, readonly=True)
        data = self._ok(c.uid("SEARCH", "ALL"), "UID SEARCH")
        c.close()
        return [int(x) for x in (data[0] or b"").split()]

    @staticmethod
    def _uidset(uids):
        if isinstance(uids, (str, bytes)):
            return uids if isinstance(uids, str) else uids.decode()
        return ",".join(str(u) for u in uids)

    def set_flags(self, user, folder, uids, flags, op="+"):
        """UID STORE: op "+" adds, "-" removes, "" replaces."""
        if not uids:
            return
        c = self._select(user, folder)
        self._ok(c.uid("STORE", self._uidset(uids), f"{op}FLAGS.SILENT",
                       "(" + " ".join(flags) + ")"), "UID STORE")
        c.close()

    def expunge_uids(self, user, folder, uids):
        """Flag \\Deleted and UID EXPUNGE exactly these UIDs."""
        if not uids:
            return
        c = self._select(user, folder)
        s = self._uidset(uids)
        self._ok(c.uid("STORE", s, "+FLAGS.SILENT", "(\\Deleted)"),
                 "UID STORE")
        self._ok(c.uid("EXPUNGE", s), "UID EXPUNGE")
        c.close()
