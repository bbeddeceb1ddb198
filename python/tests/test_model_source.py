"""Entries of the torch back end (robustness_lens_worker.model_source): what each kind of name an
entry can hold builds: a factory, a class, a call with literal arguments, a module-level instance."""
import json
import os
import tempfile
import unittest

from support import HAS_TORCH, needs_torch

if HAS_TORCH:
    import torch.nn as nn
    from robustness_lens_worker.model_source import SourceError, build_entry, parse_entry

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


if __name__ == '__main__':
    unittest.main()
