"""Mortal eras as Substrate makes them: ``fennel_gov.txfile.payload.encode_era`` against the behaviour
of ``sp_runtime::generic::Era`` (``generic/era.rs``): ``Era::mortal``, its encoding and ``birth``.

The model below restates that file's rules; the fixed vectors are the ones its own tests pin."""

from __future__ import annotations

import random

import pytest

from fennel_gov.txfile.payload import encode_era


def substrate_mortal(period: int, current: int) -> tuple[int, int]:
    """Era::mortal: the period rounded up to a power of two in 4..65536, the phase quantized for
    periods above 4096 (a factor of period >> 12)."""
    period = min(max(1 << (period - 1).bit_length(), 4), 1 << 16)
    factor = max(period >> 12, 1)
    return period, current % period // factor * factor


def substrate_encode(period: int, phase: int) -> bytes:
    factor = max(period >> 12, 1)
    trailing_zeros = (period & -period).bit_length() - 1
    return (min(max(trailing_zeros - 1, 1), 15) | (phase // factor) << 4).to_bytes(2, "little")


def substrate_decode(encoded: bytes) -> tuple[int, int]:
    value = int.from_bytes(encoded, "little")
    period = 2 << (value % 16)
    factor = max(period >> 12, 1)
    return period, (value >> 4) * factor


def substrate_birth(period: int, phase: int, current: int) -> int:
    return (max(current, phase) - phase) // period * period + phase


@pytest.mark.parametrize(
    ("period", "current", "encoded", "birth"),
    [
        (64, 42, bytes([5 + 42 % 16 * 16, 42 // 16]), 42),  # era.rs mortal_codec_works
        (32768, 20000, bytes([14 + 2500 % 16 * 16, 2500 // 16]), 20000),  # long_period_mortal_codec_works
        (65536, 1000001, (15 | (1000001 % 65536 // 16) << 4).to_bytes(2, "little"), 1000000),  # quantized_clamped
        (4, 6, bytes([1 | 2 << 4, 0]), 6),  # mortal_birth_death_works: Era::mortal(4, 6) is born at 6
    ],
    ids=["64@42", "32768@20000", "65536@1000001", "4@6"],
)
def test_the_vectors_of_substrates_era_tests(period, current, encoded, birth):
    assert encode_era(period, current) == (encoded, birth)


def test_long_periods_quantize_the_phase_and_the_birth_block_goes_back_to_it():
    # period 65536 quantizes by 16: from block 1,000,001 the era is born at 1,000,000, whose hash
    # is what the signature commits to; without quantization the phase would not fit in 12 bits
    encoded, birth = encode_era(65536, 1_000_001)
    assert substrate_decode(encoded) == (65536, 1_000_000 % 65536)
    assert birth == 1_000_000
    for period in (8192, 16384, 32768, 65536):
        factor = period >> 12
        for current in (period * 7 + factor - 1, period * 3 + 1, 123_456_789):
            encoded, birth = encode_era(period, current)
            _, phase = substrate_decode(encoded)
            assert phase % factor == 0 and birth % factor == 0 and current - factor < birth <= current


def test_every_period_agrees_with_substrate_over_many_blocks():
    rng = random.Random(7)
    for exponent in range(2, 17):
        period = 1 << exponent
        for current in [0, 1, period - 1, period, period + 1, *(rng.randrange(1 << 32) for _ in range(200))]:
            expected_period, phase = substrate_mortal(period, current)
            encoded, birth = encode_era(period, current)
            assert encoded == substrate_encode(expected_period, phase), (period, current)
            assert substrate_decode(encoded) == (expected_period, phase)
            assert birth == substrate_birth(expected_period, phase, current)
            assert birth <= current < birth + period  # valid from its birth for one period


@pytest.mark.parametrize("period", [0, 2, 3, 100, 131072])
def test_periods_substrate_would_round_are_refused_rather_than_silently_changed(period):
    from fennel_gov.errors import BadInput

    with pytest.raises(BadInput, match="power of two"):
        encode_era(period, 10)
