"""Link model and the wire: transfer time, tensor (de)serialisation, a token-bucket sender.

Transfer time of one message of ``n`` bytes (all cut tensors of one inference travel as
one message)::

    t(n) = RTT/2 + 8·n / bandwidth + per_message + per_byte·n

where ``per_message``/``per_byte`` is the *measured* serialisation overhead (encoding
tensors to bytes, decoding them, and the loopback socket copy), see
:func:`measure_serialisation`. The emulated link of :mod:`validate` is
:func:`send_shaped`: the sender waits RTT/2 (propagation) and then paces the bytes with a
token bucket at ``bandwidth`` (starting empty, so ``n`` bytes take ``8n/bandwidth``; tokens
accrue from the start of the message, so a late wake-up under load is caught up).

Wire format: 8-byte big-endian length, then a message: 4-byte header length, a JSON header
``[{"name", "dtype", "shape"}]`` and the tensors' raw bytes in order.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from dataclasses import dataclass

import numpy as np

from edgeopt_solve.costmodel.profile import Serialisation
from edgeopt_solve.system.network import Link
from edgeopt_solve.system.validation import nonnegative, positive


@dataclass(frozen=True)
class LinkModel:
    """A link with measured serialisation overhead.

    Attributes
    ----------
    bandwidth
        bit/s (> 0).
    rtt
        Round-trip time, s.
    per_message
        Serialisation overhead per message, s.
    per_byte
        Serialisation overhead per byte, s.
    """

    bandwidth: float
    rtt: float = 0.0
    per_message: float = 0.0
    per_byte: float = 0.0

    def __post_init__(self) -> None:
        positive("bandwidth", self.bandwidth)
        for f in ("rtt", "per_message", "per_byte"):
            nonnegative(f, getattr(self, f))

    @classmethod
    def from_link(cls, link: Link, serialisation: Serialisation | None = None) -> LinkModel:
        """From a system-layer :class:`Link` and a measured overhead."""
        s = serialisation or Serialisation(per_message=0.0, per_byte=0.0)
        return cls(link.bandwidth, link.rtt, s.per_message, s.per_byte)

    def transfer_time(self, nbytes: float) -> float:
        """Seconds to move one message of ``nbytes`` (0 bytes: nothing is sent)."""
        if nbytes <= 0:
            return 0.0
        return self.rtt / 2 + 8 * nbytes / self.bandwidth + self.per_message \
            + self.per_byte * nbytes


def encode(tensors: dict[str, np.ndarray]) -> bytes:
    """Tensors -> one message."""
    items = [(k, np.ascontiguousarray(v)) for k, v in tensors.items()]
    header = json.dumps([{"name": k, "dtype": v.dtype.str, "shape": list(v.shape)}
                         for k, v in items]).encode()
    return b"".join([struct.pack(">I", len(header)), header, *(v.tobytes() for _, v in items)])


def decode(buf: bytes | memoryview) -> dict[str, np.ndarray]:
    """One message -> tensors."""
    mv = memoryview(buf)
    (hlen,) = struct.unpack(">I", mv[:4])
    header = json.loads(bytes(mv[4:4 + hlen]))
    pos = 4 + hlen
    out = {}
    for h in header:
        dt = np.dtype(h["dtype"])
        n = int(np.prod(h["shape"], dtype=np.int64)) * dt.itemsize
        out[h["name"]] = np.frombuffer(mv[pos:pos + n], dtype=dt).reshape(h["shape"])
        pos += n
    return out


def payload_bytes(tensors: dict[str, np.ndarray]) -> int:
    """Raw tensor bytes (what the cost model charges; the header is overhead)."""
    return int(sum(v.nbytes for v in tensors.values()))


def send_shaped(sock: socket.socket, data: bytes, *, bandwidth: float | None,
                rtt: float = 0.0) -> None:
    """Send one length-prefixed message, delayed by RTT/2 and paced at ``bandwidth`` bit/s.

    ``bandwidth=None`` sends unshaped (control traffic).
    """
    msg = struct.pack(">Q", len(data)) + data
    if bandwidth is None:
        sock.sendall(msg)
        return
    rate = bandwidth / 8.0  # bytes/s
    chunk = int(min(65536, max(1500, rate * 0.002)))
    start, sent, n = time.perf_counter() + rtt / 2, 0, len(msg)
    view = memoryview(msg)
    while sent < n:
        size = min(chunk, n - sent)
        # propagation delay RTT/2, then tokens accrue at `rate`; a chunk leaves once its
        # tokens are there (one absolute schedule: a late wake-up is caught up, never lost)
        _sleep_until(start + (sent + size) / rate)
        sock.sendall(view[sent:sent + size])
        sent += size


def _sleep_until(deadline: float) -> None:
    """Sleep to 1 ms before ``deadline``, then yield-spin (sleep overshoots under load)."""
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            return
        time.sleep(left - 0.001 if left > 0.0015 else 0)


def recv_message(sock: socket.socket) -> bytes:
    """Receive one length-prefixed message (raises ConnectionError on a closed socket)."""
    (n,) = struct.unpack(">Q", recv_exact(sock, 8))
    return recv_exact(sock, n)


def recv_exact(sock: socket.socket, n: int) -> bytes:
    """Exactly ``n`` bytes from ``sock`` (raises ConnectionError on a closed socket)."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise ConnectionError("connection closed")
        got += k
    return bytes(buf)


def measure_serialisation(sizes: tuple[int, ...] = (1_000, 100_000, 1_000_000, 4_000_000),
                          repeats: int = 5) -> Serialisation:
    """Fit ``per_message + per_byte·n`` to encode + loopback copy + decode times
    (medians of ``repeats``; per message from the smallest size, per byte from the largest).

    Uses a connected loopback socket pair (unshaped), so it measures what the link model
    adds on top of RTT/2 + n/bandwidth.
    """
    import queue
    import threading

    a, b = socket.socketpair()
    done: queue.Queue[float] = queue.Queue()

    def receiver() -> None:
        try:
            while True:
                decode(recv_message(b))
                done.put(time.perf_counter())
        except (ConnectionError, OSError):
            return

    th = threading.Thread(target=receiver, daemon=True)
    th.start()
    try:
        xs, ys = [], []
        rng = np.random.default_rng(0)
        for n in sizes:
            t = {"x": rng.standard_normal(max(n // 4, 1), dtype=np.float32)}
            samples = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                send_shaped(a, encode(t), bandwidth=None)
                samples.append(done.get(timeout=60) - t0)
            xs.append(payload_bytes(t))
            ys.append(float(np.median(samples)))
    finally:
        a.close()
        th.join(timeout=5)
        b.close()
    # per message from the smallest message, per byte from the largest (robust to noise)
    i_small, i_big = int(np.argmin(xs)), int(np.argmax(xs))
    per_message = max(ys[i_small], 0.0)
    per_byte = max((ys[i_big] - per_message) / max(xs[i_big], 1), 0.0)
    return Serialisation(per_message=per_message, per_byte=per_byte)
