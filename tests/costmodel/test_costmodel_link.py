"""Link model: formula, wire format, and the token bucket against the real loopback."""

from __future__ import annotations

import socket
import threading
import time

import numpy as np
import pytest

from edgeopt_solve.costmodel.link import (
    LinkModel,
    decode,
    encode,
    measure_serialisation,
    recv_message,
    send_shaped,
)
from edgeopt_solve.exceptions import InvalidInstanceError


def test_transfer_time_formula():
    lm = LinkModel(8e6, rtt=0.01, per_message=1e-4, per_byte=1e-9)
    assert lm.transfer_time(0) == 0.0
    assert lm.transfer_time(1e6) == pytest.approx(0.005 + 1.0 + 1e-4 + 1e-3)
    with pytest.raises(InvalidInstanceError):
        LinkModel(0.0)


def test_encode_decode_round_trip():
    t = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.ones((2,), np.int64)}
    back = decode(encode(t))
    assert set(back) == {"a", "b"}
    for k in t:
        assert back[k].dtype == t[k].dtype and np.array_equal(back[k], t[k])


@pytest.mark.parametrize("bandwidth", [2e6, 8e6])
def test_shaped_loopback_matches_the_link_model(bandwidth):
    """The emulated link takes RTT/2 + bytes/bandwidth (+ measured overhead)."""
    ser = measure_serialisation(repeats=3)
    lm = LinkModel(bandwidth, rtt=0.02, per_message=ser.per_message, per_byte=ser.per_byte)
    data = {"x": np.zeros(25_000, np.float32)}  # 100 kB
    a, b = socket.socketpair()
    got = {}

    def rx():
        decode(recv_message(b))
        got["t"] = time.perf_counter()

    th = threading.Thread(target=rx)
    th.start()
    t0 = time.perf_counter()
    send_shaped(a, encode(data), bandwidth=bandwidth, rtt=0.02)
    th.join()
    a.close()
    b.close()
    measured = got["t"] - t0
    predicted = lm.transfer_time(100_000)
    assert measured == pytest.approx(predicted, rel=0.2)
