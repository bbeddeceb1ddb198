"""Entries of the torch back end (robustness_lens_worker.model_source): what each kind of name an
entry can hold builds: a factory, a class, a call with literal arguments, a module-level instance."""
import os
import tempfile
import unittest

from support import HAS_TORCH, needs_torch

if HAS_TORCH:
    import torch.nn as nn
    from robustness_lens_worker.model_source import SourceError, build_entry

MODELS = '''
import torch.nn as nn


class Net(nn.Module):
    def __init__(self, width=3):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, width, 3), nn.ZeroPad2d(1), nn.Flatten())

    def forward(self, x):
        return self.body(x)


def make(width=2):
    return Net(width)


model = Net(5)
'''


@needs_torch
class EntryTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.addCleanup(self.dir.cleanup)
        with open(os.path.join(self.dir.name, 'models.py'), 'w', encoding='utf-8') as f:
            f.write(MODELS)

    def width(self, entry):
        model = build_entry(entry, self.dir.name)
        self.assertIsInstance(model, nn.Module)
        return model.body[0].out_channels

    def test_factories_classes_and_calls(self):
        self.assertEqual(self.width('models.py:make'), 2)
        self.assertEqual(self.width('models.py:make()'), 2)
        self.assertEqual(self.width('models.py:make(width=4)'), 4)
        self.assertEqual(self.width('models.py:Net'), 3)

    def test_a_module_level_instance_is_the_model_itself(self):
        # Called, the instance would run forward() without an input.
        self.assertEqual(self.width('models.py:model'), 5)
        self.assertEqual(self.width('models.py:model()'), 5)

    def test_a_name_the_file_lacks_is_refused_by_name(self):
        with self.assertRaisesRegex(SourceError, 'has no missing'):
            build_entry('models.py:missing()', self.dir.name)


if __name__ == '__main__':
    unittest.main()
