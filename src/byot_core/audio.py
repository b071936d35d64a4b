"""G.711 μ-law audio as telephony carries it: 8 kHz, one byte a sample, 160 bytes every 20 ms.

Encoding and decoding by lookup table (the standard library's ``audioop`` is gone from Python 3.13), tones to play,
and the measurements the demo agent, the fake Asterisk and the tests use to tell what was heard: RMS and the share
of it explained by a given frequency. Recordings are WAV files of 16-bit linear samples, as Asterisk writes ``wav``.
"""

from __future__ import annotations

import functools
import io
import math
import wave
from collections.abc import Sequence

__all__ = [
    "FRAME_BYTES",
    "FRAME_SECONDS",
    "SAMPLE_RATE",
    "SILENCE",
    "decode",
    "encode",
    "frames",
    "mix",
    "read_wav",
    "rms",
    "share_of",
    "tone",
    "wav",
]

#: Samples a second.
SAMPLE_RATE = 8000
#: Bytes (samples) in one 20 ms frame of μ-law.
FRAME_BYTES = 160
#: The length of one frame, in seconds.
FRAME_SECONDS = FRAME_BYTES / SAMPLE_RATE
#: μ-law silence (linear 0 encodes as 0xFF).
SILENCE = 0xFF

_BIAS = 0x84
_SEGMENT_ENDS = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)


def _decode_byte(value: int) -> int:
    value = ~value & 0xFF
    sign = value & 0x80
    exponent = (value >> 4) & 0x07
    mantissa = value & 0x0F
    sample = (((mantissa << 3) + _BIAS) << exponent) - _BIAS
    return -sample if sign else sample


def _encode_sample(sample: int) -> int:
    # The reference G.711 encoder on 14-bit samples, as telephony equipment (and CPython's audioop) has it.
    value = sample >> 2
    mask = 0xFF
    if value < 0:
        value, mask = -value, 0x7F
    value = min(value, 8159) + (_BIAS >> 2)
    for segment, end in enumerate(_SEGMENT_ENDS):
        if value <= end:
            return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask
    return 0x7F ^ mask


_DECODE = tuple(_decode_byte(v) for v in range(256))


@functools.cache
def _encode_table() -> bytes:
    # 64 KiB, built on first use rather than at import (the command line imports this module too).
    return bytes(_encode_sample(s) for s in range(-32768, 32768))


def decode(data: bytes) -> list[int]:
    """μ-law bytes as signed 16-bit linear samples."""
    table = _DECODE
    return [table[b] for b in data]


def encode(samples: Sequence[int]) -> bytes:
    """Signed 16-bit linear samples (clipped to that range) as μ-law bytes."""
    table = _encode_table()
    return bytes(table[min(32767, max(-32768, s)) + 32768] for s in samples)


def tone(frequency: float, seconds: float, *, amplitude: int = 8000, phase_samples: int = 0) -> bytes:
    """A sine tone as μ-law; ``phase_samples`` continues a tone from where an earlier piece of it stopped."""
    count = round(seconds * SAMPLE_RATE)
    step = 2 * math.pi * frequency / SAMPLE_RATE
    return encode([round(amplitude * math.sin(step * (phase_samples + i))) for i in range(count)])


def frames(data: bytes) -> list[bytes]:
    """``data`` cut into whole 20 ms frames (a shorter tail is left out)."""
    return [data[i : i + FRAME_BYTES] for i in range(0, len(data) - FRAME_BYTES + 1, FRAME_BYTES)]


def rms(data: bytes) -> float:
    """The root mean square of the decoded samples (0 for no audio)."""
    samples = decode(data)
    return math.sqrt(sum(s * s for s in samples) / len(samples)) if samples else 0.0


def share_of(data: bytes, frequency: float) -> float:
    """How much of the audio's RMS a sine at ``frequency`` explains, from 0 to 1 (a Goertzel filter).

    A clean tone at that frequency gives close to 1; silence, noise or another tone gives close to 0.
    """
    samples = decode(data)
    if not samples:
        return 0.0
    coefficient = 2 * math.cos(2 * math.pi * frequency / SAMPLE_RATE)
    previous = before = 0.0
    for sample in samples:
        previous, before = sample + coefficient * previous - before, previous
    power = previous * previous + before * before - coefficient * previous * before
    amplitude = 2 * math.sqrt(max(power, 0.0)) / len(samples)
    total = math.sqrt(sum(s * s for s in samples) / len(samples))
    return min(1.0, (amplitude / math.sqrt(2)) / total) if total else 0.0


def mix(first: bytes, second: bytes) -> bytes:
    """Two equally long μ-law pieces mixed into one, as a bridge mixes its parties (summed, clipped)."""
    return encode([a + b for a, b in zip(decode(first), decode(second), strict=True)])


def wav(data: bytes) -> bytes:
    """μ-law audio as a WAV file: mono, 8 kHz, 16-bit linear samples (what Asterisk records as ``wav``)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(SAMPLE_RATE)
        file.writeframes(b"".join(s.to_bytes(2, "little", signed=True) for s in decode(data)))
    return out.getvalue()


def read_wav(data: bytes) -> tuple[int, float, bytes]:
    """A mono 16-bit WAV file's sample rate, length in seconds, and audio as μ-law (to measure what it holds)."""
    with wave.open(io.BytesIO(data), "rb") as file:
        rate, count = file.getframerate(), file.getnframes()
        raw = file.readframes(count)
    samples = [int.from_bytes(raw[i : i + 2], "little", signed=True) for i in range(0, len(raw), 2)]
    return rate, count / rate, encode(samples)
