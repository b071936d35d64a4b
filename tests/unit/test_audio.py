"""μ-law by lookup table: the reference G.711 encoding, and the measures used to tell what was heard."""

from __future__ import annotations

import hashlib
import importlib
import warnings

from hypothesis import given
from hypothesis import strategies as st

from byot_core import audio

# Digests of the whole tables, taken when they were checked against CPython's audioop (which Python 3.13 removed).
ENCODE_SHA256 = "81d633c9e6972a18c74a58720b96cb8ca0bdd096d4060b646dd708c3b846019a"
DECODE_SHA256 = "3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827"


def _tables() -> tuple[bytes, bytes]:
    encoded = audio.encode(range(-32768, 32768))
    decoded = b"".join(s.to_bytes(2, "little", signed=True) for s in audio.decode(bytes(range(256))))
    return encoded, decoded


def test_the_tables_are_the_reference_g711() -> None:
    """Every sample encodes, and every byte decodes, as G.711 μ-law does (audioop's, where it still exists)."""
    encoded, decoded = _tables()
    assert hashlib.sha256(encoded).hexdigest() == ENCODE_SHA256
    assert hashlib.sha256(decoded).hexdigest() == DECODE_SHA256
    assert audio.encode([0]) == bytes([audio.SILENCE])
    assert audio.decode(bytes([0x00, 0x80, 0xFF])) == [-32124, 32124, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            audioop = importlib.import_module("audioop")
        except ImportError:
            return  # Python 3.13 and later: the digests above stand for it
    pcm = b"".join(s.to_bytes(2, "little", signed=True) for s in range(-32768, 32768))
    assert encoded == audioop.lin2ulaw(pcm, 2)
    assert decoded == audioop.ulaw2lin(bytes(range(256)), 2)


@given(st.lists(st.integers(-32768, 32767), max_size=50))
def test_decoding_an_encoded_sample_stays_within_its_step(samples: list[int]) -> None:
    """μ-law keeps a sample within a sixteenth of its size, plus the 12 of its finest steps, after a round trip."""
    for before, after in zip(samples, audio.decode(audio.encode(samples)), strict=True):
        assert abs(before - after) <= abs(before) // 16 + 12


def test_a_tone_is_told_from_another_and_from_silence() -> None:
    """``share_of`` says how much of the audio a frequency explains."""
    tone = audio.tone(440, 0.5)
    assert audio.share_of(tone, 440) > 0.99
    assert audio.share_of(tone, 1000) < 0.05
    assert audio.share_of(bytes([audio.SILENCE]) * 800, 440) == 0.0
    assert len(audio.frames(tone)) == 25
    assert abs(audio.rms(tone) - 8000 / 2**0.5) < 100
