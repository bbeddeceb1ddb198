"""The engine's seeded generator (src/engine/util/random.ts) in Python, value for value.

The data order of every epoch and the random starts of the inner attacks come from it, so a run
of this trainer visits the same images in the same order, from the same starts, as the
TypeScript engine with the same seed. Mulberry32's state after k draws is seed + k * 0x6d2b79f5,
so long runs of draws are computed at once with numpy's wrapping uint32 arithmetic.
"""
import math

import numpy as np

MASK = 0xFFFFFFFF
WEYL = 0x6D2B79F5
TWO_POW_32 = 4294967296.0


def imul(a, b):
    return (a * b) & MASK


def scramble(x):
    z = x & MASK
    z = imul(z ^ (z >> 16), 0x85EBCA6B)
    z = imul(z ^ (z >> 13), 0xC2B2AE35)
    return (z ^ (z >> 16)) & MASK


def mix(seed, a, b):
    """train-loop.ts's mix: a 32-bit seed from the run's seed and two counters."""
    h = (int(seed) & MASK) ^ imul((a + 0x9E3779B9) & MASK, 0x85EBCA6B)
    h = imul(h ^ (h >> 13), 0xC2B2AE35) ^ imul((b + 0x7F4A7C15) & MASK, 0x27D4EB2F)
    return (h ^ (h >> 16)) & MASK


def _output(z):
    z = imul(z ^ (z >> 15), z | 1)
    z = (z ^ ((z + imul(z ^ (z >> 7), z | 61)) & MASK)) & MASK
    return (z ^ (z >> 14)) & MASK


def _outputs(states):
    # The same mixing on a uint32 array; uint32 products wrap modulo 2^32 as Math.imul does.
    z = states
    with np.errstate(over='ignore'):
        z = (z ^ (z >> np.uint32(15))) * (z | np.uint32(1))
        z = z ^ (z + (z ^ (z >> np.uint32(7))) * (z | np.uint32(61)))
    return z ^ (z >> np.uint32(14))


class Random:
    def __init__(self, seed):
        self.state = scramble(int(math.trunc(seed)) & MASK)
        self.spare = None

    def next_uint32(self):
        self.state = (self.state + WEYL) & MASK
        return _output(self.state)

    def next(self):
        return self.next_uint32() / TWO_POW_32

    def next_array(self, count):
        """`count` successive next() values as float64."""
        k = np.arange(1, count + 1, dtype=np.uint64)
        states = ((np.uint64(self.state) + k * np.uint64(WEYL)) & np.uint64(MASK)).astype(np.uint32)
        self.state = (self.state + count * WEYL) & MASK
        return _outputs(states).astype(np.float64) / TWO_POW_32

    def uniform_array(self, lo, hi, count):
        return lo + (hi - lo) * self.next_array(count)

    def normal(self):
        if self.spare is not None:
            spare, self.spare = self.spare, None
            return spare
        radius = math.sqrt(-2 * math.log(1 - self.next()))
        angle = 2 * math.pi * self.next()
        self.spare = radius * math.sin(angle)
        return radius * math.cos(angle)

    def normal_array(self, count):
        """`count` successive normal() values (Box-Muller pairs, as the engine caches them)."""
        out = np.empty(count, dtype=np.float64)
        start = 0
        if self.spare is not None and count > 0:
            out[0], self.spare, start = self.spare, None, 1
        pairs = (count - start + 1) // 2
        u = self.next_array(2 * pairs)
        radius = np.sqrt(-2 * np.log(1 - u[0::2]))
        angle = 2 * math.pi * u[1::2]
        both = np.empty(2 * pairs)
        both[0::2] = radius * np.cos(angle)
        both[1::2] = radius * np.sin(angle)
        out[start:] = both[:count - start]
        if (count - start) % 2 == 1:
            self.spare = float(both[-1])
        return out

    def integer(self, n):
        limit = 4294967296 - (4294967296 % n)
        while True:
            draw = self.next_uint32()
            if draw < limit:
                return draw % n

    def permutation(self, n):
        order = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.integer(i + 1)
            order[i], order[j] = order[j], order[i]
        return np.asarray(order, dtype=np.int64)


def shuffled_order(n, seed):
    return Random(seed).permutation(n)
