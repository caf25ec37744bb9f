"""Fixtures shared by the black-box tests (see harness.py).

instance       a started default Instance; stopped at teardown, even when the
               test fails (the hard way if it does not stop).
make_instance  a factory: make_instance(**kw) returns a new, not yet started,
               Instance(tmp_path/<n>, **kw); every one is cleaned up at teardown.
sink           a started Sink (sink.py) on a random loopback address, with its
               default replies; stopped at teardown.
down           a DownSink (sink.py): where a sink will be, refusing connections
               until down.up(); stopped at teardown.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Instance, random_loopback  # noqa: E402
from sink import DownSink, Sink  # noqa: E402


@pytest.fixture
def make_instance(tmp_path):
    made = []

    def make(**kw):
        inst = Instance(tmp_path / ("i%d" % len(made)), **kw)
        made.append(inst)
        return inst
    yield make
    for inst in made:
        inst.cleanup()


@pytest.fixture
def instance(make_instance):
    inst = make_instance()
    inst.start()
    return inst


@pytest.fixture
def sink():
    srv = Sink(host=random_loopback()).start()
    yield srv
    srv.stop()


@pytest.fixture
def down():
    d = DownSink()
    yield d
    d.stop()
