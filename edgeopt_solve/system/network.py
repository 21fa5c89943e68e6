"""Links between nodes and the wireless channel.

Units: bandwidth of a ``Link`` in bit/s, of a ``Channel`` in Hz; RTT in s; powers in W;
channel gain dimensionless (linear); noise power spectral density in W/Hz.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edgeopt_solve.system.validation import nonnegative, positive

BITS_PER_BYTE = 8


@dataclass(frozen=True)
class Link:
    """A network link with a fixed rate.

    Attributes
    ----------
    bandwidth
        Sustained rate, bit/s (> 0).
    rtt
        Round-trip time, s.
    tx_power
        Sender's radio power while transmitting, W.
    rx_power
        Receiver's radio power while receiving, W.
    """

    bandwidth: float
    rtt: float = 0.0
    tx_power: float = 0.0
    rx_power: float = 0.0

    def __post_init__(self) -> None:
        positive("bandwidth", self.bandwidth)
        nonnegative("rtt", self.rtt)
        nonnegative("tx_power", self.tx_power)
        nonnegative("rx_power", self.rx_power)

    def transfer_time(self, size_bytes: float) -> float:
        """Seconds to move ``size_bytes``: half an RTT plus serialisation at ``bandwidth``.

        Zero bytes cost nothing (nothing is sent).
        """
        if size_bytes <= 0:
            return 0.0
        return self.rtt / 2 + BITS_PER_BYTE * size_bytes / self.bandwidth

    def transmit_energy(self, size_bytes: float) -> float:
        """Sender's radio energy for ``size_bytes``, J."""
        return self.tx_power * self.transfer_time(size_bytes)


def shannon_rate(bandwidth: np.ndarray | float, gain: np.ndarray | float,
                 power: np.ndarray | float, noise_psd: float) -> np.ndarray | float:
    """``b·log2(1 + g·p/(N0·b))`` in bit/s (vectorised; ``b = 0`` gives 0)."""
    b = np.asarray(bandwidth, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(b > 0, b * np.log2(1 + np.asarray(gain) * power / (noise_psd * b)), 0.0)
    return float(rate) if rate.ndim == 0 else rate


@dataclass(frozen=True)
class Channel:
    """A wireless uplink: Shannon rate over bandwidth ``bandwidth`` Hz.

    Attributes
    ----------
    bandwidth
        Hz.
    gain
        Linear channel power gain.
    noise_psd
        Noise power spectral density N0, W/Hz.
    """

    bandwidth: float
    gain: float
    noise_psd: float

    def __post_init__(self) -> None:
        positive("bandwidth", self.bandwidth)
        positive("gain", self.gain)
        positive("noise_psd", self.noise_psd)

    def rate(self, power: float) -> float:
        """Achievable rate at transmit power ``power`` W, bit/s."""
        return float(shannon_rate(self.bandwidth, self.gain, power, self.noise_psd))


def dbm_to_watt(dbm: float) -> float:
    """Convert dBm to W."""
    return 10 ** (dbm / 10) / 1000


def watt_to_dbm(watt: float) -> float:
    """Convert W to dBm."""
    return 10 * math.log10(watt * 1000)


def db_to_linear(db: float) -> float:
    """Convert a power ratio in dB to linear."""
    return 10 ** (db / 10)


def path_loss_db(distance_m: float) -> float:
    """Urban macro-cell path loss ``128.1 + 37.6·log10(d[km])`` dB (3GPP TR 36.814)."""
    return 128.1 + 37.6 * math.log10(distance_m / 1000)


def square_cell_losses(rng: np.random.Generator, n: int, *, side: float,
                       min_distance: float, shadowing_db: float = 0.0) -> np.ndarray:
    """Channel losses (dB) of ``n`` devices dropped uniformly in a square cell.

    The base station is at the centre of a ``side`` x ``side`` m square; a device's loss is
    :func:`path_loss_db` of its distance (at least ``min_distance`` m) plus log-normal
    shadowing of standard deviation ``shadowing_db`` clipped at two deviations (none when
    0). Draws, in order: the positions, then the shadowing (the FL generators' layout).
    """
    pos = rng.uniform(-side / 2, side / 2, size=(n, 2))
    dist = np.maximum(np.hypot(pos[:, 0], pos[:, 1]), min_distance)
    shadow = (np.clip(rng.normal(0.0, shadowing_db, size=n), -2 * shadowing_db,
                      2 * shadowing_db) if shadowing_db > 0 else np.zeros(n))
    return np.array([path_loss_db(float(d)) for d in dist]) + shadow
