"""Entries of the torch back end (robustness_lens_worker.model_source): what each kind of name an
entry can hold builds: a factory, a class, a call with literal arguments, a module-level instance."""
import json
import os
import tempfile
import unittest

from support import HAS_TORCH, needs_torch

if HAS_TORCH:
    import torch
    import torch.nn as nn
    from ir_model import IrModel
    from robustness_lens_worker.model_source import SourceError, build_entry, load_weights, parse_entry

# The cases the TypeScript checks (test/engine/torch/entry.test.ts) read too, so both sides parse alike.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'entry_cases.json'), encoding='utf-8') as _f:
    ENTRY_CASES = json.load(_f)

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

    def test_an_absolute_posix_path_is_used_as_it_is(self):
        elsewhere = tempfile.TemporaryDirectory()
        self.addCleanup(elsewhere.cleanup)
        model = build_entry(os.path.join(self.dir.name, 'models.py') + ':make(width=6)', elsewhere.name)
        self.assertEqual(model.body[0].out_channels, 6)

    def test_a_package_module_is_imported_from_the_base_folder(self):
        package = os.path.join(self.dir.name, 'zoo_h6')
        os.mkdir(package)
        open(os.path.join(package, '__init__.py'), 'w', encoding='utf-8').close()
        with open(os.path.join(package, 'nets.py'), 'w', encoding='utf-8') as f:
            f.write(MODELS)
        model = build_entry('zoo_h6.nets:make(width=7)', self.dir.name)
        self.assertEqual(model.body[0].out_channels, 7)

    def test_a_windows_drive_path_is_one_target_and_is_looked_for_as_a_file(self):
        # Not a module "C" with a factory: the drive's colon belongs to the file's path.
        with self.assertRaisesRegex(SourceError, r'no file .*C:\\models\\net\.py'):
            build_entry('C:\\models\\net.py:resnet50()', self.dir.name)

    def test_a_name_the_file_lacks_is_refused_by_name(self):
        with self.assertRaisesRegex(SourceError, 'has no missing'):
            build_entry('models.py:missing()', self.dir.name)


@needs_torch
class ParseEntryTest(unittest.TestCase):
    def test_the_shared_cases_parse_into_target_name_and_call(self):
        for case in ENTRY_CASES['parsed']:
            with self.subTest(entry=case['entry']):
                target, name, args, kwargs = parse_entry(case['entry'])
                self.assertEqual((target, name), (case['target'], case['name']))
                self.assertEqual(target.endswith('.py'), case['file'])
                if case['call'] is None:
                    self.assertEqual((args, kwargs), ([], {}))

    def test_literal_arguments_of_a_drive_letter_entry_keep_their_colons(self):
        _, _, args, kwargs = parse_entry("C:\\x\\net.py:make(cfg={'a': 1, 'b': 'c:d'})")
        self.assertEqual((args, kwargs), ([], {'cfg': {'a': 1, 'b': 'c:d'}}))
        _, _, args, kwargs = parse_entry('C:/x/net.py:make(3, depth=2)')
        self.assertEqual((args, kwargs), ([3], {'depth': 2}))

    def test_the_shared_refusals_are_refused(self):
        for entry in ENTRY_CASES['refused']:
            with self.subTest(entry=entry):
                with self.assertRaises(SourceError):
                    parse_entry(entry)


TINY_NETWORK = {'name': 'tiny', 'inputChannels': 1, 'stem': [
    {'kind': 'conv', 'name': 'c', 'in': 1, 'out': 2, 'kernel': [3, 3], 'stride': [1, 1], 'padding': [1, 1],
     'dilation': [1, 1], 'groups': 1, 'bias': True}], 'blocks': [],
    'head': [{'kind': 'pool', 'name': 'p', 'pool': 'avg', 'outputSize': [1, 1]},
             {'kind': 'linear', 'name': 'l', 'in': 2, 'out': 5, 'bias': True}]}


@needs_torch
class LoadWeightsTest(unittest.TestCase):
    def save(self, state):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        path = os.path.join(folder.name, 'w.pt')
        torch.save(state, path)
        return path

    def test_an_ir_model_keeps_its_normalisation_when_the_checkpoint_has_none(self):
        source = IrModel(TINY_NETWORK)
        bare = {k: v for k, v in source.state_dict().items() if k not in ('mean', 'std')}
        model = IrModel(TINY_NETWORK)
        notes = load_weights(model, self.save(bare))
        self.assertIn("no mean, std in the file: the model's own kept", notes)
        self.assertEqual(model.mean.flatten().tolist(), [0.0])
        self.assertEqual(model.std.flatten().tolist(), [1.0])
        for name, value in bare.items():
            self.assertTrue(torch.equal(model.state_dict()[name], value), name)

    def test_the_checkpoints_own_normalisation_wins(self):
        state = IrModel(TINY_NETWORK, [0.5], [0.25]).state_dict()
        model = IrModel(TINY_NETWORK)
        self.assertEqual(load_weights(model, self.save(state)), [])
        self.assertEqual((model.mean.item(), model.std.item()), (0.5, 0.25))

    def test_a_users_module_still_needs_every_key(self):
        net = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
        state = {k: v for k, v in net.state_dict().items() if k != '1.running_mean'}
        with self.assertRaisesRegex(SourceError, r'missing: 1\.running_mean'):
            load_weights(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2)), self.save(state))


if __name__ == '__main__':
    unittest.main()
