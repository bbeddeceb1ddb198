"""The worker's .safetensors reader (robustness_lens_worker.safetensors_file) and load_weights on it:
files a small writer below makes (the format: 8-byte little-endian header length, a JSON header,
little-endian C-ordered data), every type read back bit for bit, and damaged files refused by name."""
import json
import os
import struct
import tempfile
import unittest

from support import HAS_TORCH, needs_torch

if HAS_TORCH:
    import torch
    import torch.nn as nn
    from robustness_lens_worker.model_source import SourceError, load_weights
    from robustness_lens_worker.safetensors_file import SafetensorsError, read_safetensors

    CODES = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
             torch.int64: 'I64', torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8',
             torch.bool: 'BOOL'}


def little_endian_bytes(tensor):
    """The tensor's data as the format stores it, written independently of the reader (struct, not frombuffer)."""
    flat = tensor.contiguous().reshape(-1)
    if tensor.dtype == torch.bfloat16:
        # bfloat16 is the top half of float32: its 16 bits, little-endian.
        return b''.join(struct.pack('<I', struct.unpack('<I', struct.pack('<f', v))[0] >> 16)[:2]
                        for v in flat.float().tolist())
    fmt = {torch.float64: 'd', torch.float32: 'f', torch.float16: 'e', torch.int64: 'q', torch.int32: 'i',
           torch.int16: 'h', torch.int8: 'b', torch.uint8: 'B', torch.bool: '?'}[tensor.dtype]
    return struct.pack(f'<{flat.numel()}{fmt}', *flat.tolist())


def write_safetensors(path, tensors, metadata=None, header_patch=None, pad=True):
    """A safetensors file of tensors in order; header_patch(header) may damage the header before it is written."""
    header = {'__metadata__': metadata} if metadata is not None else {}
    chunks, offset = [], 0
    for name, t in tensors.items():
        data = little_endian_bytes(t)
        header[name] = {'dtype': CODES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    if header_patch:
        header_patch(header)
    text = json.dumps(header).encode('utf-8') if isinstance(header, dict) else header
    if pad:
        text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))


@needs_torch
class ReadTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        self.path = os.path.join(self.dir.name, 'w.safetensors')

    def test_every_type_reads_back_bit_for_bit_with_its_shape(self):
        g = torch.Generator().manual_seed(3)
        floats = torch.randn(2, 3, 5, generator=g)
        tensors = {
            'f64': floats.double() * 1e200,
            'f32': floats,
            'f16': floats.half(),
            'bf16': floats.bfloat16(),
            'i64': torch.tensor([[-(2 ** 62), 7], [0, 2 ** 40]], dtype=torch.int64),
            'i32': torch.tensor([-(2 ** 31), 2 ** 31 - 1, 5], dtype=torch.int32),
            'i16': torch.tensor([-32768, 32767], dtype=torch.int16),
            'i8': torch.tensor([[-128], [127]], dtype=torch.int8),
            'u8': torch.tensor([0, 200, 255], dtype=torch.uint8),
            'bool': torch.tensor([[True, False, True]]),
            'scalar': torch.tensor(2.5),
            'empty': torch.zeros(0, 4),
        }
        write_safetensors(self.path, tensors, metadata={'format': 'pt'})
        read = read_safetensors(self.path)
        self.assertEqual(list(read), list(tensors))
        for name, t in tensors.items():
            with self.subTest(name=name):
                self.assertEqual(read[name].dtype, t.dtype)
                self.assertEqual(tuple(read[name].shape), tuple(t.shape))
                self.assertTrue(torch.equal(read[name], t))

    def refused(self, pattern, tensors=None, **writer):
        write_safetensors(self.path, tensors or {'conv.weight': torch.ones(2, 3)}, **writer)
        with self.assertRaises(SafetensorsError) as caught:
            read_safetensors(self.path)
        self.assertIn(self.path, str(caught.exception))
        self.assertRegex(str(caught.exception), pattern)

    def test_damaged_headers_are_refused_naming_the_file_and_the_key(self):
        def patch(**fields):
            return lambda header: header['conv.weight'].update(fields)
        self.refused(r'"conv.weight" has shape \[2, 3\] of F32 \(24 bytes\) but data_offsets \[0, 20\) hold 20',
                     header_patch=patch(data_offsets=[0, 20]))
        self.refused(r'"conv.weight" has shape \[2, 4\] of F32 \(32 bytes\)', header_patch=patch(shape=[2, 4]))
        self.refused(r'"conv.weight"\'s data \[0, 4096\) lies outside the file',
                     header_patch=patch(data_offsets=[0, 4096]))
        self.refused(r'"conv.weight" has type \'F8_E4M3\', which is not read', header_patch=patch(dtype='F8_E4M3'))
        self.refused(r'"conv.weight" has a malformed shape', header_patch=patch(shape=[2, -3]))
        self.refused(r'"conv.weight" has malformed data_offsets', header_patch=patch(data_offsets=[0]))
        self.refused(r'"conv.weight" has a malformed header entry', header_patch=lambda h: h.update({'conv.weight': 3}))
        self.refused(r'"__metadata__" is not an object', header_patch=lambda h: h.update({'__metadata__': [1]}))

    def test_overlapping_tensors_are_refused(self):
        def overlap(header):
            header['b']['data_offsets'] = [8, 24]
        self.refused(r'the data of "a" and "b" overlap',
                     tensors={'a': torch.ones(4), 'b': torch.ones(4), 'c': torch.ones(2)}, header_patch=overlap)

    def test_a_header_longer_than_the_file_or_not_json_is_refused(self):
        with open(self.path, 'wb') as f:
            f.write(struct.pack('<Q', 2 ** 40) + b'{}')
        with self.assertRaisesRegex(SafetensorsError, 'header claims 1099511627776 bytes, more than the file'):
            read_safetensors(self.path)
        with open(self.path, 'wb') as f:
            f.write(b'\x01\x02')
        with self.assertRaisesRegex(SafetensorsError, 'too short to be a safetensors file'):
            read_safetensors(self.path)
        with open(self.path, 'wb') as f:
            f.write(struct.pack('<Q', 5) + b'{"a":')
        with self.assertRaisesRegex(SafetensorsError, 'its JSON header is damaged'):
            read_safetensors(self.path)
        with open(self.path, 'wb') as f:
            f.write(struct.pack('<Q', 2) + b'[]')
        with self.assertRaisesRegex(SafetensorsError, 'its header is not a JSON object'):
            read_safetensors(self.path)

    def test_booleans_other_than_0_and_1_are_refused(self):
        write_safetensors(self.path, {'mask': torch.tensor([True, False, True])})
        with open(self.path, 'r+b') as f:
            f.seek(-1, os.SEEK_END)
            f.write(b'\x02')
        with self.assertRaisesRegex(SafetensorsError, '"mask" is BOOL but holds bytes other than 0 and 1'):
            read_safetensors(self.path)

    def test_a_key_given_twice_is_refused(self):
        text = b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}, ' \
               b'"a": {"dtype": "U8", "shape": [1], "data_offsets": [1, 2]}}'
        with open(self.path, 'wb') as f:
            f.write(struct.pack('<Q', len(text)) + text + b'\x01\x02')
        with self.assertRaisesRegex(SafetensorsError, 'the key "a" appears twice'):
            read_safetensors(self.path)


@needs_torch
class LoadWeightsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        torch.manual_seed(0)
        self.trained = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
        self.trained.train()
        self.trained(torch.randn(8, 1, 6, 6))  # running statistics and num_batches_tracked (int64) move
        self.trained.eval()

    def fresh(self):
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
        return model.eval()

    def test_a_safetensors_file_loads_as_its_torch_save_twin_does(self):
        x = torch.randn(5, 1, 6, 6)
        expected = self.trained(x)
        st = os.path.join(self.dir.name, 'w.safetensors')
        pt = os.path.join(self.dir.name, 'w.pt')
        state = self.trained.state_dict()
        write_safetensors(st, dict(state), metadata={'format': 'pt'})
        torch.save(state, pt)
        outputs = []
        for path in (st, pt):
            model = self.fresh()
            self.assertEqual(load_weights(model, path), [])
            self.assertEqual(int(model[1].num_batches_tracked), 1)
            outputs.append(model(x))
        self.assertTrue(torch.equal(outputs[0], expected))
        self.assertTrue(torch.equal(outputs[0], outputs[1]))

    def test_module_prefixes_are_removed_as_for_torch_save(self):
        path = os.path.join(self.dir.name, 'ddp.safetensors')
        write_safetensors(path, {f'module.{k}': v for k, v in self.trained.state_dict().items()})
        model = self.fresh()
        self.assertEqual(load_weights(model, path), ['"module." prefixes removed'])
        self.assertTrue(torch.equal(model[0].weight, self.trained[0].weight))

    def test_weights_of_another_model_get_the_same_mismatch_message(self):
        path = os.path.join(self.dir.name, 'other.safetensors')
        state = dict(self.trained.state_dict())
        state['3.weight'] = torch.zeros(3, 10)
        del state['3.bias']
        state['head.weight'] = torch.zeros(1)
        write_safetensors(path, state)
        with self.assertRaisesRegex(
                SourceError, r'other.safetensors does not fit the model \(missing: 3.bias; unexpected: head.weight; '
                             r'wrongly shaped: 3.weight\)'):
            load_weights(self.fresh(), path)

    def test_a_damaged_file_is_a_source_error_naming_the_file(self):
        path = os.path.join(self.dir.name, 'cut.safetensors')
        write_safetensors(path, {'0.weight': torch.ones(4, 1, 3, 3)})
        with open(path, 'r+b') as f:
            f.truncate(os.path.getsize(path) - 4)
        with self.assertRaisesRegex(SourceError, r'cut.safetensors: "0.weight"\'s data \[0, 144\) lies outside'):
            load_weights(self.fresh(), path)


if __name__ == '__main__':
    unittest.main()
