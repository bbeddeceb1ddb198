"""Tiny run folders for the trainer's tests: a model file, synthetic digits-like data, config.json."""
import json
import os
import sys
import unittest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

try:
    import numpy as np
    import torch  # noqa: F401
    HAS_TORCH = True
except ImportError:
    HAS_TORCH = False

needs_torch = unittest.skipUnless(HAS_TORCH, 'no torch for this Python (apt-get install python3-torch)')

MODEL_FILE = '''
import torch.nn as nn


def small(channels=1, classes=4, batch_norm=False):
    layers = [nn.Conv2d(channels, 4, 3, padding=1)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(4))
    layers += [nn.ReLU(), nn.Flatten(), nn.Linear(4 * 8 * 8, classes)]
    return nn.Sequential(*layers)
'''

CONFIG = {
    'method': 'pgd', 'threat': {'norm': 'Linf', 'eps': 0.1}, 'epochs': 2, 'batchSize': 8, 'attackSteps': 2,
    'tradesBeta': 6, 'learningRate': 0.05, 'schedule': 'cosine', 'momentum': 0.9, 'weightDecay': 5e-4,
    'nesterov': False, 'epsRampEpochs': 0, 'evalSamples': 12, 'evalPgdSteps': 3, 'seed': 3,
}


def read_json(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def make_run(run_dir, n_train=24, n_eval=12, entry='small()', init_seed=0, **overrides):
    """A run folder as the CLI writes it, with class-dependent 8x8 images (learnable, tiny)."""
    from robustness_lens_trainer.data import write_data_file
    os.makedirs(run_dir, exist_ok=True)
    rng = np.random.default_rng(1)

    def split(n):
        labels = np.arange(n) % 4
        images = rng.uniform(0, 0.3, size=(n, 8, 8, 1)).astype(np.float32)
        for i, c in enumerate(labels):
            images[i, 2 * c:2 * c + 2, :, 0] += 0.6
        return images.clip(0, 1), labels
    write_data_file(os.path.join(run_dir, 'data.rlds'), (8, 8, 1), 4, {'train': split(n_train), 'eval': split(n_eval)})
    with open(os.path.join(run_dir, 'model.py'), 'w', encoding='utf-8') as f:
        f.write(MODEL_FILE)
    torch.manual_seed(init_seed)
    from robustness_lens_trainer.models import build_entry
    torch.save(build_entry(f'{run_dir}/model.py:{entry}').state_dict(), os.path.join(run_dir, 'init.pt'))
    config = {**CONFIG, **overrides}
    with open(os.path.join(run_dir, 'config.json'), 'w', encoding='utf-8') as f:
        json.dump({'kind': 'train', 'config': config, 'torch': {
            'dataFile': 'data.rlds',
            'model': {'kind': 'entry', 'entry': f'model.py:{entry}', 'baseDir': run_dir, 'init': 'init.pt'}}}, f)
    return config
