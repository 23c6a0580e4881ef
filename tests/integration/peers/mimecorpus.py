"""Messages that exercise MIME parsing, for comparing conflux's mime/ with
Dovecot (tests/integration/test_mime_dovecot.py).

    for name, data in mimecorpus.messages().items(): ...
    mimecorpus.SECTIONS     the BODY[...] sections fetched from every message

Messages are CRLF unless their name says bare-lf. Each one names what it
tests; several are broken on purpose (missing boundary, no closing
boundary, bad Content-Type)."""

SECTIONS = [
    "", "1", "2", "3", "4", "1.1", "1.2", "1.3", "2.1", "2.2", "2.1.1",
    "2.1.2", "3.1", "1.1.1", "HEADER", "TEXT", "1.MIME", "2.MIME",
    "3.MIME", "1.1.MIME", "2.1.MIME", "1.HEADER", "1.TEXT", "2.HEADER",
    "2.TEXT", "2.1.HEADER", "2.1.TEXT", "3.HEADER",
    "HEADER.FIELDS (From To)", "HEADER.FIELDS.NOT (From To Subject)",
    "HEADER.FIELDS (Content-Type)", "2.HEADER.FIELDS (Subject)",
    "2.HEADER.FIELDS.NOT (Subject)", "1.HEADER.FIELDS (Subject)",
]

HDR = ("From: Alice Example <alice@example.org>\r\n"
       "To: Bob <bob@example.net>\r\n"
       "Subject: {subject}\r\n"
       "Date: Tue, 2 Jan 2024 10:00:00 +0100\r\n"
       "Message-ID: <{name}@example.org>\r\n"
       "MIME-Version: 1.0\r\n")


def _msg(name, extra_headers, body, subject=None):
    head = HDR.format(subject=subject or name, name=name)
    return (head + extra_headers + "\r\n" + body).encode("utf-8")


def _inner(subject, body="Inner body.\r\n", ctype="text/plain"):
    return ("From: Carol <carol@example.com>\r\n"
            f"Subject: {subject}\r\n"
            "Date: Mon, 1 Jan 2024 09:00:00 +0000\r\n"
            "Message-ID: <inner-" + subject.replace(" ", "-") + "@x>\r\n"
            f"Content-Type: {ctype}\r\n"
            "\r\n" + body)


def messages():
    m = {}
    m["plain"] = _msg("plain", "", "Hello.\r\nSecond line.\r\n")
    m["no-content-type"] = _msg("no-content-type", "", "just text\r\n")
    m["empty-body"] = _msg("empty-body", "Content-Type: text/plain\r\n", "")
    m["header-only"] = b"Subject: only a header\r\nFrom: x@y\r\n"
    m["mixed"] = _msg(
        "mixed", 'Content-Type: multipart/mixed; boundary="==b1"\r\n',
        "This is a preamble.\r\n"
        "--==b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Part one.\r\n"
        "--==b1\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment; filename=\"a.pdf\"\r\n\r\n"
        "JVBERi0xLjQK\r\nJVBERi0xLjQK\r\n"
        "--==b1--\r\nepilogue\r\n")
    m["alternative-related"] = _msg(
        "alternative-related",
        "Content-Type: multipart/mixed; boundary=outer\r\n",
        "--outer\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n"
        "--alt\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nplain\r\n"
        "--alt\r\nContent-Type: multipart/related; boundary=\"rel\";"
        " type=\"text/html\"\r\n\r\n"
        "--rel\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "<p>caf=C3=A9</p>\r\n"
        "--rel\r\nContent-Type: image/png\r\nContent-ID: <img1@x>\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n"
        "--rel--\r\n"
        "--alt--\r\n"
        "--outer\r\nContent-Type: text/plain\r\n"
        "Content-Disposition: inline\r\n\r\nfooter\r\n"
        "--outer--\r\n")
    m["rfc822-in-mixed"] = _msg(
        "rfc822-in-mixed", "Content-Type: multipart/mixed; boundary=b\r\n",
        "--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n"
        "Content-Description: forwarded\r\n\r\n"
        + _inner("fwd one") +
        "--b--\r\n")
    m["rfc822-twice"] = _msg(
        "rfc822-twice", "Content-Type: multipart/mixed; boundary=b\r\n",
        "--b\r\n\r\ntop\r\n"
        "--b\r\nContent-Type: message/rfc822\r\n\r\n"
        + _inner("level one", "--c\r\nContent-Type: text/plain\r\n\r\nx\r\n"
                 "--c\r\nContent-Type: message/rfc822\r\n\r\n"
                 + _inner("level two", "deep\r\n") +
                 "--c--\r\n", "multipart/mixed; boundary=c") +
        "--b--\r\n")
    m["rfc822-top"] = _msg(
        "rfc822-top", "Content-Type: message/rfc822\r\n",
        _inner("whole", "--z\r\nContent-Type: text/plain\r\n\r\na\r\n"
               "--z\r\nContent-Type: text/html\r\n\r\n<b>b</b>\r\n--z--\r\n",
               "multipart/alternative; boundary=z"))
    m["rfc2047"] = _msg(
        "rfc2047", "Content-Type: text/plain; charset=iso-8859-1\r\n",
        "body\r\n", subject="=?utf-8?B?w6TDtsO8?= and =?iso-8859-1?q?caf=E9?=")
    m["rfc2047-address"] = (
        b"From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>\r\n"
        b"To: \"=?utf-8?b?w6TDtg==?=\" <a@b.c>, plain@d.e (Plain Name)\r\n"
        b"Cc: <@relay.example:route@c.d>, \"Quoted \\\"Name\\\"\" <q@r.s>\r\n"
        b"Subject: addresses\r\n\r\nx\r\n")
    m["rfc2231"] = _msg(
        "rfc2231", "Content-Type: multipart/mixed; boundary=b\r\n",
        "--b\r\nContent-Type: application/octet-stream;\r\n"
        " name*=utf-8''na%C3%AFve.bin\r\n"
        "Content-Disposition: attachment;\r\n"
        " filename*0*=utf-8''long%20;\r\n filename*1=\"name.txt\"\r\n\r\n"
        "AAAA\r\n"
        "--b\r\nContent-Type: text/plain; title*0=\"cont\"; title*1=\"inued\";"
        " title*3=\"gap\"\r\n\r\ntext\r\n--b--\r\n")
    m["groups"] = (
        b"From: a@b.c\r\n"
        b"To: undisclosed-recipients:;, Friends: one@x.y, \"Two\" <two@x.y>;,"
        b" last@x.y\r\nCc: Empty Group:;\r\nBcc: bcc@x.y\r\n"
        b"Reply-To: reply@x.y\r\nSender: sender@x.y\r\n"
        b"In-Reply-To: <parent@x.y>\r\nSubject: groups\r\n\r\nbody\r\n")
    m["missing-boundary"] = _msg(
        "missing-boundary", "Content-Type: multipart/mixed\r\n",
        "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n")
    m["unterminated"] = _msg(
        "unterminated", "Content-Type: multipart/mixed; boundary=u\r\n",
        "--u\r\nContent-Type: text/plain\r\n\r\none\r\n"
        "--u\r\nContent-Type: multipart/alternative; boundary=v\r\n\r\n"
        "--v\r\n\r\ninner\r\n")
    m["boundary-never-seen"] = _msg(
        "boundary-never-seen", "Content-Type: multipart/mixed; boundary=q\r\n",
        "no boundary lines here\r\nat all\r\n")
    m["bad-content-type"] = _msg(
        "bad-content-type", "Content-Type: text\r\n", "what type?\r\n")
    m["bad-content-type2"] = _msg(
        "bad-content-type2", "Content-Type: text/plain garbage; a=b\r\n",
        "x\r\n")
    m["bad-params"] = _msg(
        "bad-params",
        "Content-Type: text/plain; a=b; broken; c=\"d\\\"e\"; f = g (c)\r\n"
        "Content-Language: en-US, de (German)\r\n"
        "Content-Location: http://example.org/x\r\n"
        "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
        "Content-ID: <id@x>\r\nContent-Description: a \"described\" part\r\n",
        "x\r\n")
    m["8bit-headers"] = (
        "From: Jörg <jörg@exämple.de>\r\nSubject: grüße – 8bit\r\n"
        "Content-Type: text/plain; charset=utf-8; name=\"fïle.txt\"\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\nbödy\r\n").encode("utf-8")
    m["bare-lf"] = (
        b"From: lf@example.org\nSubject: bare LF\n"
        b"Content-Type: multipart/mixed; boundary=lf\n\n"
        b"--lf\nContent-Type: text/plain\n\nline one\nline two\n"
        b"--lf\nContent-Type: text/html\n\n<p>x</p>\n--lf--\n")
    m["long-folded"] = _msg(
        "long-folded",
        "X-Long: " + " ".join(f"word{i}" for i in range(40)) + "\r\n"
        "Content-Type: text/plain;\r\n\tcharset=\"us-ascii\";\r\n"
        "\tformat=flowed\r\n",
        "body\r\n",
        subject="a very long subject that is folded\r\n over several\r\n\t"
        "lines   with   spaces")
    m["base64-qp"] = _msg(
        "base64-qp", "Content-Type: multipart/mixed; boundary=\"x y\"\r\n",
        "--x y\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "caf=C3=A9 =\r\nsoft break\r\n"
        "--x y\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: Base64\r\n"
        "Content-Disposition: attachment; filename=pic.gif; size=42\r\n\r\n"
        "R0lGODlhAQABAAAAACw=\r\n--x y--\r\n")
    m["digest"] = _msg(
        "digest", "Content-Type: multipart/digest; boundary=d\r\n",
        "--d\r\n\r\n" + _inner("digest one") +
        "--d\r\n\r\n" + _inner("digest two") + "--d--\r\n")
    m["part-without-blank-line"] = _msg(
        "part-without-blank-line",
        "Content-Type: multipart/mixed; boundary=b\r\n",
        "--b\r\nContent-Type: text/plain\r\n--b\r\n\r\n\r\n--b\r\n"
        "Content-Type: text/plain\r\n\r\n--b--\r\n")
    m["nested-prefix-boundary"] = _msg(
        "nested-prefix-boundary",
        "Content-Type: multipart/mixed; boundary=b\r\n",
        "--b\r\nContent-Type: multipart/mixed; boundary=bb\r\n\r\n"
        "--bb\r\n\r\ninner\r\n--bb  trailing junk\r\n\r\nin2\r\n"
        "--b\r\n\r\nlast\r\n--b--")
    m["duplicate-fields"] = (
        b"Subject: first\r\nSubject: second\r\nFrom: one@x.y\r\n"
        b"From: two@x.y\r\nContent-Type: text/html\r\n"
        b"Content-Type: text/plain\r\nMessage-ID:\r\n <folded@id>\r\n\r\nx")
    m["odd-addresses"] = (
        b"From: Joe \\\"x\\\" <joe@x>, (comment) bob@y (Bob), bad, \"no at\""
        b" <noat>\r\nTo: <>, @, a@, \"\" <e@f>\r\nCc: ,,a@b,,\r\n"
        b"Sender: \r\nReply-To: group: ;\r\nSubject:\r\n\r\nx")
    m["no-final-newline"] = _msg(
        "no-final-newline", "Content-Type: text/plain\r\n", "no newline")
    m["message-global"] = _msg(
        "message-global", "Content-Type: multipart/mixed; boundary=g\r\n",
        "--g\r\nContent-Type: message/global\r\n\r\n"
        + _inner("global inner") + "--g--\r\n")
    m["empty-part-and-header-field-case"] = _msg(
        "empty-part-and-header-field-case",
        "content-type: MULTIPART/Mixed; BOUNDARY=Zz\r\n",
        "--Zz\r\n--Zz\r\nCONTENT-TYPE: Text/Plain; Charset=UTF-8\r\n\r\nT\r\n"
        "--Zz--\r\n")
    return m
