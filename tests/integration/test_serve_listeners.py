"""The listeners of `conflux serve`: the documented default addresses, the
config that moves them, and the one-line errors when they cannot be bound."""
import re
import socket
import subprocess

from conftest import BIN, init_data
from served import Served, free_port, set_config


def test_init_writes_the_documented_loopback_listeners(base_dir):
    data = base_dir / "plain"
    subprocess.run([BIN, "init", "--data", str(data)], check=True,
                   capture_output=True)
    text = (data / "conflux.conf").read_text()
    for section, key, value in (("imap", "listen", "127.0.0.1:1143"),
                                ("imap", "tls_listen", "127.0.0.1:1993"),
                                ("pop3", "listen", "127.0.0.1:1110"),
                                ("pop3", "tls_listen", "127.0.0.1:1995"),
                                ("lmtp", "listen", "127.0.0.1:2424")):
        block = text.split(f"[{section}]", 1)[1].split("[", 1)[0]
        assert f"{key} = {value}" in block, (section, key)


def test_every_listener_is_bound_on_loopback(served):
    for port in (served.imap_port, served.imaps_port, served.pop3_port,
                 served.pop3s_port, served.lmtp_port):
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        assert re.search(rf"listening on 127\.0\.0\.1:{port}\b", served.log())


def test_a_port_in_use_is_one_clear_line_and_exit_2(base_dir):
    cfx = init_data(base_dir)
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    try:
        s = Served(cfx, base_dir)
        set_config(cfx.conf, "imap", "listen", f"127.0.0.1:{port}")
        proc = subprocess.run([BIN, "-c", str(cfx.conf), "serve"],
                              capture_output=True, timeout=30)
    finally:
        blocker.close()
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert f"[imap] listen = 127.0.0.1:{port}" in err


def test_a_malformed_address_is_refused(base_dir):
    cfx = init_data(base_dir)
    Served(cfx, base_dir)
    set_config(cfx.conf, "pop3", "listen", "127.0.0.1:notaport")
    proc = subprocess.run([BIN, "-c", str(cfx.conf), "serve"],
                          capture_output=True, timeout=30)
    assert proc.returncode == 2
    assert "[pop3] listen" in proc.stderr.decode()


def test_an_empty_address_turns_a_listener_off(base_dir):
    cfx = init_data(base_dir)
    s = Served(cfx, base_dir)
    set_config(cfx.conf, "pop3", "tls_listen", "")
    s.start()
    try:
        try:
            socket.create_connection(("127.0.0.1", s.pop3s_port), timeout=2)
            bound = True
        except OSError:
            bound = False
        assert not bound
    finally:
        assert s.stop() == 0
