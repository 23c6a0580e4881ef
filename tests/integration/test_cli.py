"""The command-line contract: init, config lookup and errors, users."""
import os
import stat
import subprocess

from conftest import BIN, IS_ROOT, init_data


def run(*args, input=None, cwd=None, env=None):
    return subprocess.run([BIN, *map(str, args)], input=input,
                          capture_output=True, cwd=cwd, env=env)


def test_help_everywhere():
    top = run("--help")
    assert top.returncode == 0
    for cmd in ("init", "serve", "user", "deliver", "store"):
        assert cmd in top.stdout.decode()
        proc = run(cmd, "--help")
        assert proc.returncode == 0, cmd
        assert proc.stdout.decode().startswith("usage: conflux " + cmd)


def test_unknown_command_is_one_line_and_nonzero():
    proc = run("frobnicate")
    assert proc.returncode == 2
    assert proc.stderr.decode().count("\n") == 1
    assert "unknown command 'frobnicate'" in proc.stderr.decode()


def test_init_creates_everything_with_safe_modes(base_dir):
    c = init_data(base_dir)
    for name in ("conflux.conf", "conflux.db", "master.key",
                 "tls/cert.pem", "tls/key.pem", "mail"):
        assert (c.data / name).exists(), name
    assert stat.S_IMODE((c.data / "master.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((c.data / "tls/key.pem").stat().st_mode) == 0o600
    assert (c.data / "master.key").stat().st_size == 32
    if IS_ROOT:
        assert "user = conflux" in c.conf.read_text()


def test_init_refuses_an_initialised_dir(base_dir):
    c = init_data(base_dir)
    key = (c.data / "master.key").read_bytes()
    proc = run("init", "--data", c.data)
    assert proc.returncode != 0
    assert "already" in proc.stderr.decode()
    assert (c.data / "master.key").read_bytes() == key


def test_self_signed_cert_names_localhost(base_dir):
    c = init_data(base_dir)
    out = subprocess.run(["openssl", "x509", "-noout", "-text", "-in",
                          c.data / "tls/cert.pem"], capture_output=True)
    assert out.returncode == 0
    assert b"DNS:localhost" in out.stdout and b"127.0.0.1" in out.stdout


def test_config_lookup_order(cfx, base_dir, tmp_path):
    env = dict(os.environ, CONFLUX_CONFIG=str(cfx.conf))
    # $CONFLUX_CONFIG
    assert b"alice" in run("user", "list", env=env).stdout
    # ./conflux.conf
    env.pop("CONFLUX_CONFIG")
    assert b"alice" in run("user", "list", cwd=cfx.data, env=env).stdout
    # -c before and after the command
    assert b"bob" in run("-c", cfx.conf, "user", "list").stdout
    assert b"bob" in run("user", "list", "-c", cfx.conf).stdout
    # nothing there: a clear line, non-zero
    proc = run("user", "list", cwd=base_dir, env=env)
    assert proc.returncode == 2
    assert "conflux.conf: cannot open" in proc.stderr.decode()


def bad_config(cfx, text):
    cfx.conf.write_text(cfx.conf.read_text() + text)
    return cfx.run("user", "list", check=False)


def config_line_count(cfx):
    return len(cfx.conf.read_text().splitlines())


def test_config_unknown_key_names_file_and_line(cfx):
    line = config_line_count(cfx) + 3   # blank, [store], the key
    proc = bad_config(cfx, "\n[store]\nmax_mesage_size = 10M\n")
    assert proc.returncode == 2
    err = proc.stderr.decode().strip()
    assert err.startswith(f"conflux: {cfx.conf}:{line}:"), err
    assert "max_mesage_size" in err
    assert err.count("\n") == 0


def test_config_bad_value_and_unknown_section(cfx):
    original = cfx.conf.read_text()
    proc = bad_config(cfx, "\n[server]\nlog_level = loud\n")
    assert proc.returncode == 2 and "log_level" in proc.stderr.decode()
    cfx.conf.write_text(original)
    proc = bad_config(cfx, "\n[imapd]\nport = 143\n")
    assert proc.returncode == 2 and "imapd" in proc.stderr.decode()
    cfx.conf.write_text(original)
    proc = bad_config(cfx, "\n[store]\nmax_message_size = lots\n")
    assert proc.returncode == 2
    assert "max_message_size" in proc.stderr.decode()
    cfx.conf.write_text(original + "this is not ini\n")
    proc = cfx.run("user", "list", check=False)
    assert proc.returncode == 2
    assert f"{cfx.conf}:{config_line_count(cfx)}:" in proc.stderr.decode()


def test_user_add_list_passwd_del(cfx):
    assert cfx.run("user", "list").stdout.decode().split() == ["alice", "bob"]
    proc = cfx.run("user", "add", "alice", input="x\n", check=False)
    assert proc.returncode != 0 and "already exists" in proc.stderr.decode()
    proc = cfx.run("user", "add", "Bad/Name", input="x\n", check=False)
    assert proc.returncode == 2 and "invalid user name" in proc.stderr.decode()
    proc = cfx.run("user", "add", "carol", input="", check=False)
    assert proc.returncode != 0      # no password given
    cfx.run("user", "passwd", "alice", input="new-password\n")
    cfx.run("user", "passwd", "alice", "--apop", input="apop-secret\n")
    proc = cfx.run("user", "passwd", "nobody", input="x\n", check=False)
    assert proc.returncode == 67
    folders = cfx.run("store", "folders", "alice").stdout.decode()
    for name in ("INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"):
        assert name in folders
    cfx.run("user", "del", "bob")
    assert cfx.run("user", "list").stdout.decode().split() == ["alice"]
    assert cfx.maildir("bob").exists()   # mail kept without --purge
    cfx.run("user", "del", "alice", "--purge")
    assert not cfx.maildir("alice").exists()


def test_passwords_never_in_the_database_in_clear(cfx):
    cfx.run("user", "passwd", "alice", input="Sup3r-Secret-Pw\n")
    cfx.run("user", "passwd", "alice", "--apop", input="Apop-Secret-42\n")
    db = (cfx.data / "conflux.db").read_bytes()
    wal = cfx.data / "conflux.db-wal"
    if wal.exists():
        db += wal.read_bytes()
    assert b"Sup3r-Secret-Pw" not in db
    assert b"Apop-Secret-42" not in db
    assert b"$argon2id$" in db


def test_database_and_mail_are_private(cfx):
    from conftest import make_message
    assert cfx.deliver("alice", make_message(msgid="p@x")).returncode == 0
    for path in [cfx.data / "conflux.db", cfx.data / "conflux.conf",
                 cfx.maildir("alice"), cfx.messages("alice")[0][4]]:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o007 == 0, (path, oct(mode))
