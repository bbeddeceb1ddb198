"""The engine's generator in Python: the vectorised draws agree with the sequential ones.
(Agreement with the TypeScript generator itself is checked by test/engine/torch/torch-trainer.test.ts.)"""
import unittest

from support import HAS_TORCH

try:
    import numpy as np
    from robustness_lens_trainer.rng import Random, mix
except ImportError:  # numpy is missing: the module is skipped below
    np = None


@unittest.skipUnless(np is not None and HAS_TORCH, 'no numpy/torch for this Python')
class GeneratorTest(unittest.TestCase):
    def test_vectorised_uniform_equals_sequential(self):
        a, b = Random(42), Random(42)
        block = a.uniform_array(-0.3, 0.3, 1001)
        one_by_one = [-0.3 + 0.6 * b.next() for _ in range(1001)]
        np.testing.assert_array_equal(block, np.array(one_by_one))
        self.assertEqual(a.next_uint32(), b.next_uint32())

    def test_vectorised_normals_keep_the_cached_spare(self):
        a, b = Random(7), Random(7)
        first = a.normal_array(5)  # odd: the fifth pair's sine stays cached
        rest = a.normal_array(4)
        expected = [b.normal() for _ in range(9)]
        np.testing.assert_allclose(np.concatenate([first, rest]), expected, rtol=0, atol=1e-15)

    def test_permutation_is_a_permutation_fixed_by_the_seed(self):
        p = Random(5).permutation(500)
        self.assertEqual(sorted(p.tolist()), list(range(500)))
        self.assertEqual(p.tolist(), Random(5).permutation(500).tolist())
        self.assertNotEqual(p.tolist(), Random(6).permutation(500).tolist())

    def test_mix_is_32_bit_and_depends_on_every_argument(self):
        values = {mix(s, a, b) for s in (0, 1) for a in (0, 1) for b in (0, 1)}
        self.assertEqual(len(values), 8)
        self.assertTrue(all(0 <= v < 2 ** 32 for v in values))


if __name__ == '__main__':
    unittest.main()
