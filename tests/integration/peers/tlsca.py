"""A throwaway certificate authority made with the `openssl` command.

    ca = make_ca(DIR)          # -> TestCA with paths (pathlib.Path)
    ca.ca_cert                 # the CA certificate (use as cafile=)
    ca.server_cert, ca.server_key     # CN/SAN localhost + IP 127.0.0.1, signed by the CA
    ca.wrong_cert, ca.wrong_key       # SAN DNS:wrong.example only, signed by the CA
    ca.self_cert, ca.self_key         # localhost + 127.0.0.1, self-signed (not from the CA)
    ca.client_context()        # ssl.SSLContext trusting only the CA

Keys are EC P-256 (fast to make: the whole set takes ~0.2 s). Every file is
mode 0644 and every directory 0711, so Dovecot's unprivileged processes can
read them; the keys are test-only throwaways."""
import os
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

OPENSSL = "openssl"
DAYS = "3650"


@dataclass
class TestCA:
    __test__ = False        # not a pytest test class
    dir: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    wrong_cert: Path
    wrong_key: Path
    self_cert: Path
    self_key: Path

    def client_context(self, check_hostname=True):
        """A client context that trusts only this CA."""
        ctx = ssl.create_default_context(cafile=str(self.ca_cert))
        ctx.check_hostname = check_hostname
        return ctx

    def server_context(self, which="server"):
        """A server context presenting the `server`, `wrong` or `self` cert."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(getattr(self, f"{which}_cert")),
                            str(getattr(self, f"{which}_key")))
        return ctx


def _run(args, cwd):
    proc = subprocess.run([OPENSSL, *args], cwd=cwd, capture_output=True,
                          timeout=30)
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: "
                           f"{proc.stderr.decode(errors='replace')}")


def _key(path, cwd):
    _run(["genpkey", "-algorithm", "EC", "-pkeyopt",
          "ec_paramgen_curve:P-256", "-out", str(path)], cwd)


def _leaf(d, name, cn, san, ca):
    """A key + certificate for `san`, signed by `ca` (None: self-signed)."""
    key, cert = d / f"{name}.key", d / f"{name}.crt"
    _key(key, d)
    ext = d / f"{name}.ext"
    ext.write_text(
        f"subjectAltName = {san}\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth, clientAuth\n")
    if ca is None:
        _run(["req", "-x509", "-new", "-key", str(key), "-out", str(cert),
              "-days", DAYS, "-subj", f"/CN={cn}", "-extensions", "v3",
              "-config", str(_req_conf(d, name, san))], d)
    else:
        csr = d / f"{name}.csr"
        _run(["req", "-new", "-key", str(key), "-out", str(csr),
              "-subj", f"/CN={cn}"], d)
        _run(["x509", "-req", "-in", str(csr), "-CA", str(ca[0]),
              "-CAkey", str(ca[1]), "-CAcreateserial", "-out", str(cert),
              "-days", DAYS, "-sha256", "-extfile", str(ext)], d)
    return cert, key


def _req_conf(d, name, san):
    conf = d / f"{name}.cnf"
    conf.write_text(
        "[req]\ndistinguished_name = dn\n[dn]\n[v3]\n"
        f"subjectAltName = {san}\n"
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n")
    return conf


def make_ca(directory):
    """Create the CA and its certificates under `directory` (created 0711)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o711)
    ca_key, ca_cert = d / "ca.key", d / "ca.crt"
    _key(ca_key, d)
    conf = d / "ca.cnf"
    conf.write_text(
        "[req]\ndistinguished_name = dn\n[dn]\n[v3]\n"
        "basicConstraints = critical, CA:TRUE\n"
        "keyUsage = critical, keyCertSign, cRLSign\n"
        "subjectKeyIdentifier = hash\n")
    _run(["req", "-x509", "-new", "-key", str(ca_key), "-out", str(ca_cert),
          "-days", DAYS, "-subj", "/CN=conflux test CA", "-extensions", "v3",
          "-config", str(conf)], d)
    ca = (ca_cert, ca_key)
    server = _leaf(d, "server", "localhost", "DNS:localhost, IP:127.0.0.1", ca)
    wrong = _leaf(d, "wrong", "wrong.example", "DNS:wrong.example", ca)
    selfs = _leaf(d, "self", "localhost", "DNS:localhost, IP:127.0.0.1", None)
    for p in d.iterdir():
        os.chmod(p, 0o644)
    return TestCA(d, ca_cert, ca_key, server[0], server[1], wrong[0],
                  wrong[1], selfs[0], selfs[1])
