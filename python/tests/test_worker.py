"""The torch back end's worker (robustness_lens_worker): objectives against finite differences,
the protocol end to end through a real worker process, its refusal of bad frames, the training
step against torch.optim.SGD, and checkpoints in the shapes real ones come in."""
import io
import os
import struct
import subprocess
import sys
import tempfile
import unittest

from support import HAS_TORCH, PYTHON_DIR, needs_torch

if HAS_TORCH:
    import numpy as np
    import torch
    import torch.nn.functional as F
    from robustness_lens_worker.client import WorkerClient, WorkerError
    from robustness_lens_worker.frames import FrameError, read_frame, write_frame, MAGIC
    from robustness_lens_worker.objectives import KINDS, per_sample

MODEL_FILE = '''
import torch.nn as nn


def get_model(width=6, classes=10):
    print('the user model prints to stdout')
    return nn.Sequential(nn.Conv2d(3, width, 3, padding=1), nn.BatchNorm2d(width), nn.SiLU(),
                         nn.Conv2d(width, width, 3, stride=2, padding=1, groups=2), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(4 * width, classes))
'''
HYPER = {'learningRate': 0.05, 'momentum': 0.9, 'weightDecay': 5e-4, 'nesterov': True}


def owner(a):
    """The object whose memory an array views, past any chain of views."""
    while isinstance(a, (np.ndarray, memoryview)):
        a = a.base if isinstance(a, np.ndarray) else a.obj
    return a


def objective_arrays(kind, n, k, rng):
    labels = rng.integers(0, k, n).astype('i4')
    targets = ((labels + 1 + rng.integers(0, k - 1, n)) % k).astype('i4')
    reference = rng.dirichlet(np.ones(k), n).astype('f4')
    return {'labels': labels, 'targets': targets, 'reference': reference}


@needs_torch
class ObjectiveTest(unittest.TestCase):
    def test_each_objective_gradient_matches_finite_differences(self):
        rng = np.random.default_rng(0)
        n, k, h = 3, 6, 1e-6
        for kind in KINDS:
            a = objective_arrays(kind, n, k, rng)
            logits = torch.tensor(rng.normal(size=(n, k)) * 3, dtype=torch.float64, requires_grad=True)
            ref = torch.from_numpy(a['reference'].astype('f8'))
            f = lambda z: per_sample(kind, z, a['labels'], a['targets'], ref)  # noqa: E731
            grad, = torch.autograd.grad(f(logits).sum(), logits)
            numeric = torch.zeros_like(grad)
            with torch.no_grad():
                for i in range(n):
                    for j in range(k):
                        up, down = logits.clone(), logits.clone()
                        up[i, j] += h
                        down[i, j] -= h
                        numeric[i, j] = (f(up).sum() - f(down).sum()) / (2 * h)
            self.assertTrue(torch.allclose(grad, numeric, atol=1e-5), f'{kind}: {grad} vs {numeric}')

    def test_closed_forms(self):
        z = torch.tensor([[4.0, 1.0, 3.0, 2.0, 0.0]], dtype=torch.float64)
        y = np.array([0], 'i4')
        t = np.array([3], 'i4')
        # Untargeted DLR with the label on top: -(z_y - z_pi2) / (z_pi1 - z_pi3).
        self.assertAlmostEqual(float(per_sample('dlr', z, y)), -(4 - 3) / (4 - 2), places=9)
        self.assertAlmostEqual(float(per_sample('dlr-targeted', z, y, t)), -(4 - 2) / (4 - (2 + 1) / 2), places=9)
        self.assertAlmostEqual(float(per_sample('margin', z, y, t)), 2 - 4, places=9)
        self.assertAlmostEqual(float(per_sample('ce', z, y)), float(-F.log_softmax(z, 1)[0, 0]), places=9)

    def test_refuses_bad_objective_input(self):
        z = torch.zeros(2, 3)
        with self.assertRaisesRegex(ValueError, 'at least 4 classes'):
            per_sample('dlr', z, np.array([0, 1], 'i4'))
        with self.assertRaisesRegex(ValueError, 'outside'):
            per_sample('ce', z, np.array([0, 3], 'i4'))
        with self.assertRaisesRegex(ValueError, 'unknown objective'):
            per_sample('hinge', z, np.array([0, 1], 'i4'))


@needs_torch
class FrameTest(unittest.TestCase):
    def round_trip(self, header, arrays):
        buf = io.BytesIO()
        write_frame(buf, header, arrays)
        buf.seek(0)
        return read_frame(buf)

    def test_round_trip_keeps_bytes_and_shapes(self):
        x = np.random.default_rng(1).random((2, 3, 4)).astype('f4')
        y = np.array([-1, 7], 'i4')
        head, arrays = self.round_trip({'op': 'x'}, [('x', x), ('y', y), ('s', np.float32(2.5))])
        self.assertEqual(head['op'], 'x')
        self.assertTrue(np.array_equal(arrays['x'], x))
        self.assertTrue(np.array_equal(arrays['y'], y))
        self.assertEqual(arrays['s'].shape, ())
        self.assertEqual(float(arrays['s']), 2.5)

    def frame(self, header, payload=b'', magic=MAGIC):
        import json
        raw = json.dumps(header).encode() if isinstance(header, dict) else header
        return io.BytesIO(struct.pack('<4sIQ', magic, len(raw), len(payload)) + raw + payload)

    def test_refuses_bad_frames(self):
        spec = {'arrays': [{'name': 'x', 'dtype': 'f32', 'shape': [2]}]}
        cases = {
            'must start with': self.frame({}, magic=b'XXXX'),
            'not JSON': self.frame(b'{nope'),
            'JSON object': self.frame(b'[1]'),
            'needs 8 bytes': self.frame(spec, b'\0' * 4),
            'no array claims': self.frame(spec, b'\0' * 12),
            'dtype': self.frame({'arrays': [{'name': 'x', 'dtype': 'f64', 'shape': [1]}]}, b'\0' * 8),
            'not a list of sizes': self.frame({'arrays': [{'name': 'x', 'dtype': 'f32', 'shape': [-1]}]}),
            'ended inside a frame payload': io.BytesIO(self.frame(spec, b'\0' * 8).getvalue()[:-3]),
            'over the limit': io.BytesIO(struct.pack('<4sIQ', MAGIC, 1 << 30, 0)),
        }
        for message, stream in cases.items():
            with self.assertRaisesRegex(FrameError, message):
                read_frame(stream)

    def test_payload_starts_aligned_and_arrays_are_writable_views(self):
        x = np.arange(12, dtype='f4').reshape(3, 4)
        for op in ('x', 'a longer op name', 'é' * 5):
            buf = io.BytesIO()
            write_frame(buf, {'op': op}, [('x', x), ('y', np.array([1, 2, 3], 'i4'))])
            header_len = struct.unpack_from('<I', buf.getvalue(), 4)[0]
            self.assertEqual((16 + header_len) % 8, 0, op)
            buf.seek(0)
            head, arrays = read_frame(buf)
            self.assertEqual(head['op'], op)
            self.assertTrue(arrays['x'].flags.writeable and arrays['x'].flags.aligned)
            self.assertEqual(arrays['x'].ctypes.data % 8, 0)
            self.assertTrue(np.array_equal(arrays['x'], x))
            # Both arrays view one buffer: the frame's payload, read once.
            self.assertIs(owner(arrays['x']), owner(arrays['y']))
            self.assertIsInstance(owner(arrays['x']), bytearray)

    def test_unpadded_frames_still_read(self):
        # A writer that does not pad (the protocol allows it): the TypeScript reader must copy its
        # arrays; this one reads each payload into a buffer of its own, aligned either way.
        import json
        raw = json.dumps({'op': 'x', 'arrays': [{'name': 'v', 'dtype': 'f32', 'shape': [2]}]}).encode()
        if (16 + len(raw)) % 4 == 0:
            raw += b' '
        payload = np.array([1.5, -2.0], 'f4').tobytes()
        stream = io.BytesIO(struct.pack('<4sIQ', MAGIC, len(raw), len(payload)) + raw + payload)
        _, arrays = read_frame(stream)
        self.assertEqual(list(arrays['v']), [1.5, -2.0])

    def test_tensors_view_aligned_writable_arrays_and_copy_others(self):
        from robustness_lens_worker.session import as_tensor
        buf = bytearray(np.array([0, 1.5, -2.0], 'f4').tobytes())
        aligned = np.frombuffer(buf, '<f4')
        t = as_tensor(aligned)
        t[0] = 7
        self.assertEqual(aligned[0], 7, 'a view, not a copy')
        unaligned = np.frombuffer(bytes(1) + bytes(buf), '<f4', 2, 1)
        self.assertFalse(unaligned.flags.aligned or unaligned.flags.writeable)
        self.assertEqual(as_tensor(unaligned).tolist(), [7.0, 1.5])

    def test_writes_whole_frames_through_short_writes_and_short_reads(self):
        class Trickle(io.RawIOBase):
            """A raw stream taking or giving at most 7 bytes per call, as a pipe may."""
            def __init__(self, data=b''):
                self.data = bytearray(data)
                self.pos = 0

            def writable(self):
                return True

            def readable(self):
                return True

            def write(self, b):
                chunk = bytes(memoryview(b)[:7])
                self.data += chunk
                return len(chunk)

            def readinto(self, b):
                n = min(7, len(b), len(self.data) - self.pos)
                b[:n] = self.data[self.pos:self.pos + n]
                self.pos += n
                return n

        big = np.random.default_rng(5).random((300, 300)).astype('f4')  # over the one-write size
        small = np.array([3, 4], 'i4')
        for arrays in ([('big', big), ('small', small)], [('small', small)]):
            out = Trickle()
            write_frame(out, {'op': 'x'}, arrays)
            head, got = read_frame(Trickle(out.data))
            self.assertEqual(head['op'], 'x')
            for name, a in arrays:
                self.assertTrue(np.array_equal(got[name], a), name)

    def test_non_contiguous_and_other_dtypes_are_sent_in_c_order(self):
        a = np.arange(24, dtype='f8').reshape(2, 3, 4).transpose(0, 2, 1)
        head, arrays = self.round_trip({'op': 'x'}, [('a', a), ('n', np.arange(3, dtype=np.int64))])
        self.assertEqual(arrays['a'].dtype, np.dtype('<f4'))
        self.assertTrue(np.array_equal(arrays['a'], a.astype('f4')))
        self.assertEqual(arrays['n'].dtype, np.dtype('<i4'))

    def test_worker_answers_a_bad_frame_and_exits(self):
        proc = subprocess.run([sys.executable, '-m', 'robustness_lens_worker'], cwd=PYTHON_DIR,
                              input=b'GET / HTTP/1.1\r\n\r\n', capture_output=True, timeout=120)
        self.assertEqual(proc.returncode, 2)
        head, _ = read_frame(io.BytesIO(proc.stdout))
        self.assertFalse(head['ok'])
        self.assertIn('bad frame', head['error'])


@needs_torch
class WorkerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        with open(os.path.join(cls.dir.name, 'nets.py'), 'w') as f:
            f.write(MODEL_FILE)
        sys.path.insert(0, cls.dir.name)
        import nets
        torch.manual_seed(3)
        cls.reference = nets.get_model().eval()
        cls.weights = os.path.join(cls.dir.name, 'ckpt.pt')
        # A DataParallel run's checkpoint, as many are saved: prefixed names under "state_dict".
        torch.save({'epoch': 3, 'state_dict': {f'module.{k}': v for k, v in cls.reference.state_dict().items()}},
                   cls.weights)
        cls.mean, cls.std = [0.5, 0.4, 0.3], [0.2, 0.25, 0.3]

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def start(self, **extra):
        client = WorkerClient(sys.executable)
        self.addCleanup(client.close)
        source = {'kind': 'entry', 'entry': 'nets.py:get_model(width=6)', 'baseDir': self.dir.name}
        info, _ = client.call('load', source=source,
                              inputShape={'height': 8, 'width': 8, 'channels': 3}, device='cpu', weights=self.weights,
                              normalize={'mean': self.mean, 'std': self.std}, **extra)
        return client, info

    def reference_forward(self, x_nhwc):
        return self.reference_forward_with(self.reference, x_nhwc)

    def test_load_reports_the_model_and_device(self):
        _, info = self.start()
        self.assertEqual(info['numClasses'], 10)
        self.assertEqual(info['paramCount'], sum(p.numel() for p in self.reference.parameters()))
        self.assertEqual(info['device'], 'cpu')
        self.assertIn('PyTorch', info['deviceName'])
        self.assertIn('"module." prefixes removed', info['notes'])

    def test_logits_and_gradients_equal_pytorch_in_process(self):
        client, _ = self.start()
        rng = np.random.default_rng(2)
        x = rng.random((5, 8, 8, 3)).astype('f4')
        _, out = client.call('logits', [('x', x)])
        expected = self.reference_forward(x).detach().numpy()
        self.assertTrue(np.allclose(out['logits'], expected, atol=1e-5))
        for kind in KINDS:
            a = objective_arrays(kind, 5, 10, rng)
            arrays = [('x', x)] + [(k, v) for k, v in a.items()]
            _, out = client.call('inputGradient', arrays, objective=kind)
            xt = torch.from_numpy(x.copy()).requires_grad_(True)
            ref = torch.from_numpy(a['reference'])
            loss = per_sample(kind, self.reference_forward(xt), a['labels'], a['targets'], ref)
            grad, = torch.autograd.grad(loss.sum(), xt)
            self.assertEqual(out['grad'].shape, x.shape)
            self.assertTrue(np.allclose(out['loss'], loss.detach().numpy(), atol=1e-5), kind)
            self.assertTrue(np.allclose(out['grad'], grad.numpy(), atol=1e-6), kind)

    def test_training_steps_follow_torch_sgd_and_state_round_trips(self):
        client, _ = self.start()
        import copy
        model = copy.deepcopy(self.reference).train()
        decay = [p for p in model.parameters() if p.dim() > 1]
        rest = [p for p in model.parameters() if p.dim() <= 1]
        groups = [{'params': decay, 'weight_decay': HYPER['weightDecay']}, {'params': rest, 'weight_decay': 0}]
        opt = torch.optim.SGD(groups,
                              lr=HYPER['learningRate'], momentum=HYPER['momentum'], nesterov=True)
        rng = np.random.default_rng(4)
        for step in range(3):
            x = rng.random((6, 8, 8, 3)).astype('f4')
            y = rng.integers(0, 10, 6).astype('i4')
            head, out = client.call('trainStep', [('x', x), ('labels', y)], objective='ce', hyper=HYPER)
            opt.zero_grad()
            loss = F.cross_entropy(self.reference_forward_with(model, x), torch.from_numpy(y).long())
            loss.backward()
            opt.step()
            self.assertAlmostEqual(head['loss'], float(loss), places=5)
        _, state = client.call('getState')
        for k, v in model.state_dict().items():
            self.assertTrue(np.allclose(state[k], v.float().numpy(), atol=1e-5), k)
        self.assertIn('momentum:0.weight', state)
        # A state set back (weights and momentum) gives the same next step as the optimiser continuing.
        client.call('setState', list(state.items()))
        _, again = client.call('getState')
        for k in state:
            self.assertTrue(np.array_equal(state[k], again[k]), k)
        with self.assertRaisesRegex(WorkerError, 'shape'):
            client.call('setState', [('0.weight', np.zeros((1, 1), 'f4'))], partial=True)
        with self.assertRaisesRegex(WorkerError, 'lacks'):
            client.call('setState', [('0.weight', state['0.weight'])])

    def reference_forward_with(self, model, x_nhwc):
        x = torch.as_tensor(x_nhwc).permute(0, 3, 1, 2)
        mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in (self.mean, self.std))
        return model((x - mean) / std)

    def test_refusals_keep_the_worker_answering(self):
        client, _ = self.start()
        with self.assertRaisesRegex(WorkerError, r'expected \[n, 8, 8, 3\]'):
            client.call('logits', [('x', np.zeros((1, 8, 8, 1), 'f4'))])
        with self.assertRaisesRegex(WorkerError, 'unknown op'):
            client.call('explode')
        if not torch.cuda.is_available():
            with self.assertRaisesRegex(WorkerError, 'sees no CUDA GPU'):
                source = {'kind': 'entry', 'entry': 'nets.py:get_model', 'baseDir': self.dir.name}
                client.call('load', source=source,
                            inputShape={'height': 8, 'width': 8, 'channels': 3}, device='cuda')
        _, out = client.call('logits', [('x', np.zeros((1, 8, 8, 3), 'f4'))])
        self.assertEqual(out['logits'].shape, (1, 10))

    def test_threads_are_set_and_named_truthfully(self):
        for threads in (1, 2):
            _, info = self.start(threads=threads)
            self.assertIn(f', {threads} thread', info['deviceName'])

    @unittest.skipUnless(sys.platform.startswith('linux'), 'pipe sizes are a Linux setting')
    def test_pipes_are_widened_and_timing_is_reported(self):
        import fcntl
        with open('/proc/sys/fs/pipe-max-size') as f:
            ceiling = int(f.read())
        env = dict(os.environ, RL_WORKER_TIMING='1')
        with tempfile.TemporaryFile() as err:
            client = WorkerClient(sys.executable, env=env, stderr=err)
            try:
                client.call('hello')
                source = {'kind': 'entry', 'entry': 'nets.py:get_model()', 'baseDir': self.dir.name}
                client.call('load', source=source, inputShape={'height': 8, 'width': 8, 'channels': 3}, device='cpu')
                x = np.zeros((2, 8, 8, 3), 'f4')
                for _ in range(3):
                    client.call('inputGradient', [('x', x), ('labels', np.array([1, 2], 'i4'))], objective='ce')
                # F_GETPIPE_SZ: both pipes were widened by the worker, up to the system's ceiling.
                for stream in (client.proc.stdin, client.proc.stdout):
                    self.assertGreaterEqual(fcntl.fcntl(stream.fileno(), 1032), min(1 << 20, ceiling))
            finally:
                client.close()
            err.seek(0)
            report = err.read().decode()
        self.assertRegex(report, r'timing: inputGradient: 3 calls, per call [\d.]+ ms waiting and reading, '
                                 r'[\d.]+ ms computing, [\d.]+ ms writing')

    def test_timing_report_goes_to_the_named_file(self):
        from unittest import mock
        from robustness_lens_worker.timing import OpTimes
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, 'times.txt')
            with mock.patch.dict(os.environ, {'RL_WORKER_TIMING': target}):
                times = OpTimes.from_env()
                for _ in range(2):
                    times.wait()
                    times.read('logits')
                    times.computed()
                    times.written()
                err = io.StringIO()
                times.report(err)
            self.assertEqual(err.getvalue(), '')
            with open(target, encoding='utf-8') as f:
                self.assertIn('timing: logits: 2 calls, per call', f.read())

    def test_mismatched_checkpoint_lists_the_keys(self):
        bad = os.path.join(self.dir.name, 'bad.pt')
        state = dict(self.reference.state_dict())
        state.pop('7.bias')
        state['extra.weight'] = torch.zeros(1)
        state['0.weight'] = torch.zeros(2, 3, 3, 3)
        torch.save({'model': state}, bad)
        client = WorkerClient(sys.executable)
        self.addCleanup(client.close)
        with self.assertRaises(WorkerError) as caught:
            client.call('load', source={'kind': 'entry', 'entry': 'nets.py:get_model()', 'baseDir': self.dir.name},
                        inputShape={'height': 8, 'width': 8, 'channels': 3}, device='cpu', weights=bad)
        message = str(caught.exception)
        for part in ('missing: 7.bias', 'unexpected: extra.weight', 'wrongly shaped: 0.weight'):
            self.assertIn(part, message)

    def test_module_entries_and_ir_models_load(self):
        client = WorkerClient(sys.executable)
        self.addCleanup(client.close)
        source = {'kind': 'entry', 'entry': 'nets:get_model(classes=4)', 'baseDir': self.dir.name}
        info, _ = client.call('load', source=source,
                              inputShape={'height': 8, 'width': 8, 'channels': 3}, device='cpu')
        self.assertEqual(info['numClasses'], 4)
        network = {'name': 'tiny', 'inputChannels': 1, 'stem': [
            {'kind': 'conv', 'name': 'c', 'in': 1, 'out': 2, 'kernel': [3, 3], 'stride': [1, 1], 'padding': [1, 1],
             'dilation': [1, 1], 'groups': 1, 'bias': True}], 'blocks': [],
            'head': [{'kind': 'pool', 'name': 'p', 'pool': 'avg', 'outputSize': [1, 1]},
                     {'kind': 'linear', 'name': 'l', 'in': 2, 'out': 5, 'bias': True}]}
        shape = {'height': 6, 'width': 6, 'channels': 1}
        info, _ = client.call('load', source={'kind': 'ir', 'network': network}, inputShape=shape)
        self.assertEqual(info['numClasses'], 5)
        self.assertEqual(info['paramCount'], 2 * 9 + 2 + 2 * 5 + 5)


if __name__ == '__main__':
    unittest.main()
