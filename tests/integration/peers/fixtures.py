"""pytest fixtures over the peers; import them into a conftest.py or a test
module:

    from peers.fixtures import (peer_ca, dovecot, dovecot_module,
                                fault_proxy, bad_server)  # noqa: F401
"""
import shutil

import pytest

from . import make_base_dir
from .badserver import BadServer
from .dovecot import Dovecot
from .faultproxy import FaultProxy
from .tlsca import make_ca


@pytest.fixture(scope="session")
def peer_ca():
    """One throwaway CA (tlsca.TestCA) for the whole session."""
    base = make_base_dir("conflux-ca-")
    yield make_ca(f"{base}/tls")
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def dovecot(peer_ca):
    """A running Dovecot with users alice and bob, for one test."""
    dov = Dovecot(users=["alice", "bob"], ca=peer_ca)
    dov.start()
    yield dov
    dov.stop()


@pytest.fixture(scope="module")
def dovecot_module(peer_ca):
    """A Dovecot shared by a module's tests: call dovecot_module.reset() at
    the start of a test that needs empty mailboxes."""
    dov = Dovecot(users=["alice", "bob"], ca=peer_ca)
    dov.start()
    yield dov
    dov.stop()


@pytest.fixture
def fault_proxy():
    """A factory: fault_proxy(host, port, **faults) -> FaultProxy; all are
    closed at the end of the test."""
    made = []

    def make(host, port, **kw):
        px = FaultProxy(host, port, **kw)
        made.append(px)
        return px
    yield make
    for px in made:
        px.close()


@pytest.fixture
def bad_server():
    """A factory: bad_server("pop3_no_uidl", **kw) -> BadServer; all are
    closed at the end of the test."""
    made = []

    def make(scenario=None, **kw):
        srv = BadServer(scenario, **kw)
        made.append(srv)
        return srv
    yield make
    for srv in made:
        srv.close()
