"""A deterministic generator of realistic mail, and a fast way to load it
into a Dovecot user.

    msgs = make_mailbox(n, seed=0)        # [CorpusMessage], same bytes for
                                          # the same (n, seed, options)
    m.data (bytes, CRLF), m.kind, m.message_id (None if absent), m.flags,
    m.size, m.index
    placed = fill_dovecot(dov, "alice", msgs, folders={"INBOX": .5, ...})
    placed["INBOX"] -> [(uid, CorpusMessage), ...] in UID order

The mix: plain text (ASCII / quoted-printable), 8-bit UTF-8 bodies, HTML
alternatives, multipart/mixed with base64 attachments (some with RFC 2231
file names), forwarded messages (nested message/rfc822), RFC 2047 subjects
(B and Q, UTF-8 and ISO-8859-1), about 1.5% without a Message-ID, about 1%
reusing an earlier message's Message-ID with different content. Sizes are
log-normal (median ~15 KB) plus ~0.2% of 1-5 MB, so 5,000 messages come to
about 150 MB. small=True makes 1-4 KB plain messages (for 100k mailboxes).

fill_dovecot writes Maildir files straight into Dovecot's maildir (names
"<time>.M<n>P<pid>Q<n>.corpus,S=<size>,W=<size>:2,<flags>", owned by the
mail user) and then SELECTs each folder so Dovecot assigns UIDs: it gives
new files UIDs in the order of the time stamp in their names, i.e. the
order of the list. The UID/size order is checked against RFC822.SIZE."""
import base64
import os
import quopri
import random
import re
from dataclasses import dataclass, field

MAIL_UID = 8
MAIL_GID = 8

_WORDS = ("the of and to in is that for it as was with be by on not he this "
          "are or his from at which but have an they you were her she there "
          "been one all we their has would when if so no will can more about "
          "mail server sync folder message inbox archive deadline meeting "
          "report budget review please thanks regards attached draft "
          "schedule quarter project release invoice customer support ticket "
          "update question answer weekend family holiday travel photo "
          "conference agenda minutes notes follow-up reminder payment").split()
_UWORDS = ("Grüße Straße Müller Ärger Übersicht naïve café résumé déjà "
           "Zürich København Åse Łódź żółw Ελλάδα Привет 日本語 Ünïcode "
           "façade coöperate smörgåsbord").split()
_NAMES = ["Alice Archer", "Bob Baker", "Carol Cohen", "Dan Dubois",
          "Eve Eriksson", "Frank Fischer", "Grace Gómez", "Heidi Håkansson",
          "Ivan Ivanov", "Judy Jäger", "Mallory Martín", "Oscar Øberg"]
_DOMAINS = ["example.org", "example.com", "example.net", "lists.example.org",
            "mail.example.de"]
_ATTACH = [("report.pdf", "application/pdf"), ("photo.jpg", "image/jpeg"),
           ("data.zip", "application/zip"), ("slides.pptx",
           "application/vnd.openxmlformats-officedocument.presentationml."
           "presentation"), ("sheet.xlsx", "application/vnd.openxmlformats-"
           "officedocument.spreadsheetml.sheet"), ("notes.txt", "text/plain")]
_UFILES = ["Übersicht März.pdf", "résumé final.docx", "日本語の資料.pdf",
           "Grüße aus Zürich.jpg", "naïve café menu.pdf"]


@dataclass
class CorpusMessage:
    index: int
    kind: str
    data: bytes
    message_id: str = None
    flags: str = ""                 # Maildir flag letters, sorted ("FS")
    imap_flags: list = field(default_factory=list)

    @property
    def size(self):
        return len(self.data)


_FLAG_NAMES = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered",
               "S": "\\Seen", "T": "\\Deleted"}


class _Gen:
    def __init__(self, seed, small):
        self.rng = random.Random(seed)
        self.seed = seed
        self.small = small
        r = random.Random(seed ^ 0x5EED)
        self.lines = [self._line(r, False) for _ in range(1500)]
        self.ulines = [self._line(r, True) for _ in range(500)]
        self.ids = []

    @staticmethod
    def _line(r, utf8):
        words, n = [], 0
        target = r.randint(40, 74)
        while n < target:
            w = r.choice(_UWORDS) if utf8 and r.random() < 0.3 else \
                r.choice(_WORDS)
            words.append(w)
            n += len(w) + 1
        line = " ".join(words)
        return line[0].upper() + line[1:] + ("." if r.random() < .2 else "")

    def text(self, nbytes, utf8=False):
        """Paragraphs of about nbytes characters (LF line ends)."""
        pool = self.ulines if utf8 else self.lines
        k = max(1, nbytes // 60)
        chosen = self.rng.choices(pool, k=k)
        out = []
        for i, ln in enumerate(chosen):
            out.append(ln)
            if i % 6 == 5:
                out.append("")
        return "\n".join(out) + "\n"

    def size(self):
        r = self.rng
        if self.small:
            return int(r.uniform(1000, 4000))
        if r.random() < 0.002:
            return int(r.uniform(1, 5) * 1024 * 1024)
        return int(min(max(r.lognormvariate(9.6, 0.95), 800), 900_000))

    def addr(self):
        name = self.rng.choice(_NAMES)
        user = name.split()[0].lower()
        if not name.isascii():          # RFC 2047 display name
            name = "=?UTF-8?B?" + base64.b64encode(name.encode()).decode() \
                + "?="
        return name, f"{user}@{self.rng.choice(_DOMAINS)}"

    def subject(self):
        r = self.rng
        words = " ".join(r.choices(_WORDS, k=r.randint(2, 8)))
        kind = r.random()
        if kind < 0.15:        # UTF-8, base64
            s = words + " " + r.choice(_UWORDS)
            b = base64.b64encode(s.encode()).decode()
            return f"=?UTF-8?B?{b}?="
        if kind < 0.25:        # ISO-8859-1, Q
            s = words + " " + r.choice(["Grüße", "café", "Ärger", "naïve"])
            q = "".join(c if c.isalnum() and ord(c) < 128 else
                        ("_" if c == " " else
                         "".join(f"={b:02X}" for b in c.encode("latin-1")))
                        for c in s)
            return f"=?ISO-8859-1?Q?{q}?="
        if kind < 0.3:         # UTF-8, Q, folded over two encoded words
            s = r.choice(_UWORDS) + " " + words
            cut = s.index(" ")          # encoded words hold whole chars

            def q(t):
                return "".join(c if c.isalnum() and ord(c) < 128 else
                               ("_" if c == " " else
                                "".join(f"={b:02X}" for b in c.encode()))
                               for c in t)
            return f"=?UTF-8?Q?{q(s[:cut + 1])}?=\n =?UTF-8?Q?{q(s[cut + 1:])}?="
        return ("Re: " if r.random() < .2 else "") + words.capitalize()

    def headers(self, i, content, inner=False):
        r = self.rng
        fname, faddr = self.addr()
        tname, taddr = self.addr()
        day = 1 + (i * 7 + self.seed) % 28
        hh, mm, ss = r.randrange(24), r.randrange(60), r.randrange(60)
        months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                  "Sep", "Oct", "Nov", "Dec"]
        mon = months[(i // 200) % 12]
        wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][(day + i) % 7]
        h = []
        if not inner:
            h.append(f"Received: from mx{r.randrange(9)}.{r.choice(_DOMAINS)} "
                     f"(mx.example.net [192.0.2.{r.randrange(1, 255)}])\n"
                     f"\tby mail.example.org with ESMTPS id "
                     f"{r.getrandbits(48):012X}\n"
                     f"\tfor <{taddr}>; {wd}, {day} {mon} 2026 "
                     f"{hh:02d}:{mm:02d}:{ss:02d} +0000")
        h.append(f"From: {fname} <{faddr}>")
        h.append(f"To: {tname} <{taddr}>")
        if r.random() < 0.2:
            cn, ca = self.addr()
            h.append(f"Cc: {cn} <{ca}>")
        h.append(f"Subject: {self.subject()}")
        h.append(f"Date: {wd}, {day} {mon} 2026 {hh:02d}:{mm:02d}:{ss:02d} "
                 f"+0{r.randrange(3)}00")
        mid = None
        roll = r.random()
        if inner:
            mid = f"inner.{i}.{r.getrandbits(32):08x}@{r.choice(_DOMAINS)}"
        elif roll < 0.015:
            mid = None                      # no Message-ID at all
        elif roll < 0.025 and self.ids:
            mid = r.choice(self.ids)        # same id, different content
        else:
            mid = f"{i}.{r.getrandbits(40):010x}@{r.choice(_DOMAINS)}"
            self.ids.append(mid)
        if mid:
            h.append(f"Message-ID: <{mid}>")
        if r.random() < 0.1:
            h.append("List-Id: Development <dev.lists.example.org>")
        h.append("MIME-Version: 1.0")
        h.extend(content)
        return h, mid

    def boundary(self):
        return f"=_conflux_{self.rng.getrandbits(64):016x}"

    def part_text(self, nbytes, utf8=False, qp=False):
        body = self.text(nbytes, utf8)
        if qp:
            enc = quopri.encodestring(body.encode()).decode()
            return ["Content-Type: text/plain; charset=utf-8",
                    "Content-Transfer-Encoding: quoted-printable"], enc
        if utf8:
            return ["Content-Type: text/plain; charset=utf-8",
                    "Content-Transfer-Encoding: 8bit"], body
        return ["Content-Type: text/plain; charset=us-ascii",
                "Content-Transfer-Encoding: 7bit"], body

    def part_html(self, nbytes):
        paras = self.text(nbytes).split("\n\n")
        html = ("<html><head><meta charset=\"utf-8\"></head><body>\n" +
                "\n".join(f"<p>{p}</p>" for p in paras if p) +
                "\n</body></html>\n")
        enc = quopri.encodestring(html.encode()).decode()
        return ["Content-Type: text/html; charset=utf-8",
                "Content-Transfer-Encoding: quoted-printable"], enc

    def part_attachment(self, nbytes):
        r = self.rng
        if r.random() < 0.25:
            name = r.choice(_UFILES)
            ctype = "application/octet-stream"
            enc = "".join(c if (c.isalnum() and ord(c) < 128) or c in ".-_"
                          else "".join(f"%{b:02X}" for b in c.encode())
                          for c in name)
            disp = f"attachment;\n filename*=UTF-8''{enc}"
            ct = f"{ctype}; name=\"attachment.bin\""
        else:
            name, ctype = r.choice(_ATTACH)
            disp = f"attachment; filename=\"{name}\""
            ct = f"{ctype}; name=\"{name}\""
        raw = r.randbytes(max(16, nbytes * 3 // 4))
        b64 = base64.encodebytes(raw).decode()
        return [f"Content-Type: {ct}", f"Content-Disposition: {disp}",
                "Content-Transfer-Encoding: base64"], b64

    def multipart(self, subtype, parts):
        b = self.boundary()
        out = []
        for head, body in parts:
            out.append(f"--{b}\n" + "\n".join(head) + "\n\n" + body)
        text = "This is a multi-part message in MIME format.\n\n" + \
            "".join(s if s.endswith("\n") else s + "\n" for s in out) + \
            f"--{b}--\n"
        return [f"Content-Type: multipart/{subtype};\n boundary=\"{b}\""], text

    def body_for(self, kind, size):
        r = self.rng
        if kind == "plain":
            return self.part_text(size, qp=r.random() < 0.3)
        if kind == "8bit":
            return self.part_text(size, utf8=True)
        if kind == "alternative":
            return self.multipart("alternative", [
                self.part_text(size // 3, qp=r.random() < .5),
                self.part_html(size // 2)])
        if kind == "mixed":
            n = r.randint(1, 3)
            text = min(size // 5, 8000)
            parts = [self.part_text(text)]
            parts += [self.part_attachment((size - text) // n)
                      for _ in range(n)]
            return self.multipart("mixed", parts)
        if kind == "forward":
            inner_kind = r.choice(["plain", "alternative", "8bit"])
            ih, ib = self.body_for(inner_kind, size * 2 // 3)
            heads, _ = self.headers(r.randrange(10**6), ih, inner=True)
            inner = "\n".join(heads) + "\n\n" + ib
            return self.multipart("mixed", [
                self.part_text(size // 4),
                (["Content-Type: message/rfc822",
                  "Content-Disposition: inline"], inner)])
        raise ValueError(kind)

    def message(self, i):
        r = self.rng
        size = self.size()
        if self.small:
            kind = "plain"
        elif size > 1_000_000:
            kind = "mixed"
        else:
            x = r.random()
            kind = ("plain" if x < .35 else "8bit" if x < .45 else
                    "alternative" if x < .70 else "mixed" if x < .92 else
                    "forward")
        content, body = self.body_for(kind, size)
        heads, mid = self.headers(i, content)
        text = "\n".join(heads) + "\n\n" + body
        data = text.replace("\n", "\r\n").encode("utf-8")
        fl = ""
        if r.random() < 0.6:
            fl += "S"
        if r.random() < 0.05:
            fl += "F"
        if r.random() < 0.08:
            fl += "R"
        fl = "".join(sorted(fl))
        return CorpusMessage(i, kind, data, mid, fl,
                             [_FLAG_NAMES[c] for c in fl])


def make_mailbox(n, seed=0, small=False):
    """n messages, the same bytes for the same (n, seed, small)."""
    g = _Gen(seed, small)
    return [g.message(i) for i in range(n)]


def iter_mailbox(n, seed=0, small=False):
    """Like make_mailbox, one message at a time (for big corpora)."""
    g = _Gen(seed, small)
    for i in range(n):
        yield g.message(i)


def assign_folders(messages, folders, seed=0):
    """{folder: [messages]} with folders a {name: share} dict (shares are
    normalised) or a list (equal shares); deterministic; list order kept."""
    if not isinstance(folders, dict):
        folders = {f: 1 for f in folders}
    names = list(folders)
    weights = [folders[f] for f in names]
    r = random.Random(seed ^ 0xF01D)
    out = {f: [] for f in names}
    for m in messages:
        out[r.choices(names, weights)[0]].append(m)
    return out


_STAMP = 1_700_000_000


def _ensure_maildir(path):
    made = []
    if not path.exists():
        path.mkdir(mode=0o700, parents=True)
        made.append(path)
    for sub in ("cur", "new", "tmp"):
        p = path / sub
        if not p.exists():
            p.mkdir(mode=0o700)
            made.append(p)
    for p in made:
        os.chown(p, MAIL_UID, MAIL_GID)


def fill_dovecot(dov, user, messages, folders=None, seed=0, check=True):
    """Load messages into dov's `user`, fast: Maildir files, then one
    SELECT per folder. `folders`: None (all in INBOX), a list or {name:
    share} (messages spread deterministically), or {name: [messages]}.
    Returns {folder: [(uid, message)]} in UID order. Messages may be
    CorpusMessage objects or bytes. Existing mail stays (new UIDs follow)."""
    if folders is None:
        groups = {"INBOX": list(messages)}
    elif isinstance(folders, dict) and folders and \
            isinstance(next(iter(folders.values())), list):
        groups = folders
    else:
        groups = assign_folders(messages, folders, seed)
    root = dov.maildir(user)
    _ensure_maildir(root)
    pid = os.getpid()
    stamp = _STAMP + random.Random(seed).randrange(10**6)
    # uids already present, to know where ours start
    before = {}
    c = dov._conn(user)
    existing = set(dov.folders(user))
    for folder in groups:
        if folder not in existing and folder.upper() != "INBOX":
            _ensure_maildir(dov.maildir(user, folder))
            (dov.maildir(user, folder) / "maildirfolder").touch()
            os.chown(dov.maildir(user, folder) / "maildirfolder",
                     MAIL_UID, MAIL_GID)
        else:
            _ensure_maildir(dov.maildir(user, folder))
            if folder in existing:
                before[folder] = dov.status(user, folder, "UIDNEXT")["UIDNEXT"]
    seq = 0
    for folder, msgs in groups.items():
        cur = dov.maildir(user, folder) / "cur"
        for m in msgs:
            data = m.data if isinstance(m, CorpusMessage) else bytes(m)
            flags = m.flags if isinstance(m, CorpusMessage) else ""
            seq += 1
            t = stamp + seq
            name = (f"{t}.M{seq}P{pid}Q{seq}.corpus,S={len(data)},"
                    f"W={len(data)}:2,{flags}")
            fd = os.open(cur / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o600)
            try:
                os.write(fd, data) if len(data) < (1 << 30) else None
                os.fchown(fd, MAIL_UID, MAIL_GID)
            finally:
                os.close(fd)
            os.utime(cur / name, (t, t))
    placed = {}
    for folder, msgs in groups.items():
        if folder.upper() != "INBOX":
            from .dovecot import quote
            c.subscribe(quote(folder))
        c.select(from_dovecot_quote(folder))
        start = before.get(folder, 1)
        typ, data = c.uid("FETCH", f"{start}:*", "(UID RFC822.SIZE)")
        rows = []
        for line in data or []:
            if not line:
                continue
            text = line.decode() if isinstance(line, bytes) else line[0]
            um = re.search(r"UID (\d+)", text)
            sm = re.search(r"RFC822\.SIZE (\d+)", text)
            if um and sm and int(um.group(1)) >= start:
                rows.append((int(um.group(1)), int(sm.group(1))))
        rows.sort()
        c.close()
        if check:
            want = [len(m.data if isinstance(m, CorpusMessage) else m)
                    for m in msgs]
            got = [s for _, s in rows]
            if got != want:
                raise AssertionError(
                    f"{folder}: Dovecot indexed {len(got)} messages, "
                    f"expected {len(want)} in order")
        placed[folder] = [(uid, m) for (uid, _), m in zip(rows, msgs)]
    return placed


def from_dovecot_quote(folder):
    from .dovecot import quote
    return quote(folder)
