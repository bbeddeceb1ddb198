"""The worker's allocator settings (robustness_lens_worker/allocator.py): memory freed by one call is
reused by the next ones without new page faults, in a process of its own and in a real worker."""
import os
import subprocess
import sys
import tempfile
import unittest

from support import HAS_TORCH, PYTHON_DIR, needs_torch

if HAS_TORCH:
    import numpy as np
    from robustness_lens_worker.client import WorkerClient

# 64 MiB: past the 32 MiB ceiling of glibc's moving mmap threshold, so glibc maps it fresh each time.
FAULTS_OF_A_BIG_ARRAY = '''
import resource, sys
sys.path.insert(0, sys.argv[1])
from robustness_lens_worker.allocator import keep_freed_memory
took = keep_freed_memory()

def touch():
    a = bytearray(64 << 20)  # zero-filled by CPython: writes every page
    del a

touch()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
touch()
print(took, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
'''
PAGES = (64 << 20) // 4096


def faults_of_second_array(env_extra):
    env = dict(os.environ, **env_extra)
    out = subprocess.run([sys.executable, '-c', FAULTS_OF_A_BIG_ARRAY, PYTHON_DIR], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return out[0] == 'True', int(out[1])


def minor_faults(pid):
    with open(f'/proc/{pid}/stat') as f:
        return int(f.read().rsplit(')', 1)[1].split()[7])


@unittest.skipUnless(sys.platform.startswith('linux'), 'glibc settings and /proc are Linux-only')
class AllocatorTest(unittest.TestCase):
    def test_a_freed_big_array_is_reused_without_page_faults(self):
        took, faults = faults_of_second_array({})
        self.assertTrue(took)
        self.assertLess(faults, PAGES // 20)

    def test_default_glibc_faults_every_page_again(self):
        # The control: what the worker paid on every gradient call before.
        took, faults = faults_of_second_array({'RL_WORKER_MALLOC': 'default'})
        self.assertFalse(took)
        self.assertGreater(faults, PAGES // 2)


MODEL_FILE = '''
import torch.nn as nn


def wide():
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.SiLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(8, 10))
'''


@needs_torch
@unittest.skipUnless(os.path.isdir('/proc/self'), 'reads page faults from /proc')
class WorkerPageFaultTest(unittest.TestCase):
    def later_call_faults(self, env_extra):
        """Page faults of the worker over the last six of eight equal input-gradient calls whose
        activations (1,200 images x 8 x 32 x 32 floats, 37.5 MiB each) are past glibc's mmap ceiling.
        With the settings the heap settles over the first calls, after which most calls fault nothing
        and a few grow the heap by one or two activations (seen: 0 to 38k faults over six calls); with
        glibc's defaults every call faults its activations in again (some 100k each)."""
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, 'wide.py'), 'w') as f:
                f.write(MODEL_FILE)
            with WorkerClient(sys.executable, env=dict(os.environ, **env_extra)) as client:
                client.call('load', source={'kind': 'entry', 'entry': 'wide.py:wide()', 'baseDir': folder},
                            inputShape={'height': 32, 'width': 32, 'channels': 3}, device='cpu', threads=1, seed=0)
                rng = np.random.default_rng(0)
                x = rng.random((1200, 32, 32, 3), dtype=np.float32)
                y = rng.integers(0, 10, 1200).astype(np.int32)
                counts = []
                for _ in range(8):
                    before = minor_faults(client.proc.pid)
                    client.call('inputGradient', [('x', x), ('labels', y)], objective='ce')
                    counts.append(minor_faults(client.proc.pid) - before)
                return sum(counts[2:])

    def test_the_worker_reuses_its_memory_from_call_to_call(self):
        kept = self.later_call_faults({})
        default = self.later_call_faults({'RL_WORKER_MALLOC': 'default'})
        activation_pages = 1200 * 8 * 32 * 32 * 4 // 4096
        self.assertGreater(default, 6 * activation_pages, 'the control should fault the activations in again')
        # Not zero: a call now and then still extends the heap (fragmentation), which is why a single
        # call's count made this test flaky.
        self.assertLess(kept, default // 5)
        self.assertLess(kept, 6 * activation_pages)


if __name__ == '__main__':
    unittest.main()
