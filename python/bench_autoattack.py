"""The reference AutoAttack (fra31/auto-attack, the code RobustBench runs) on the weights, images,
labels and eps the engine's AutoAttack benchmark (bench/autoattack.bench.ts) uses, for its ratios.

    /usr/bin/python3 python/bench_autoattack.py MANIFEST DATA --autoattack-dir DIR --threads T

MANIFEST is a JSON object {"network", "mean", "std", "tensors": [[shape, offset], ...],
"input": [n, h, w, c, offset], "labels": [...], "eps", "seed"} over the float32 file DATA, as
python/ir_forward.py reads it (tensors in the engine's order and layouts). Runs AutoAttack
"standard" (Linf) on the CPU with T threads, in batches of B images (--batch; default the whole set),
and prints one JSON object:
seconds per attack (each attack's perturb calls, timed), robust count after each attack, and the
per-image robust flags at the end. DIR is a checkout of fra31/auto-attack (never vendored here).
"""
import argparse
import json
import sys
import time

import numpy as np
import torch


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('manifest')
    parser.add_argument('data')
    parser.add_argument('--autoattack-dir', required=True)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--batch', type=int, default=0)
    a = parser.parse_args()
    sys.path.insert(0, a.autoattack_dir)
    from autoattack import AutoAttack
    from ir_model import IrModel, assign_engine_tensors

    torch.set_num_threads(a.threads)
    m = json.load(open(a.manifest, encoding='utf-8'))
    data = np.fromfile(a.data, dtype=np.float32)
    model = IrModel(m['network'], m.get('mean'), m.get('std'))
    tensors = [(f'tensor {i}', torch.from_numpy(data[o:o + int(np.prod(s))].reshape(s).copy()))
               for i, (s, o) in enumerate(m['tensors'])]
    assign_engine_tensors(model, tensors)
    model.eval()
    n, h, w, c, o = m['input']
    x = torch.from_numpy(data[o:o + n * h * w * c].reshape(n, h, w, c).copy()).permute(0, 3, 1, 2).contiguous()
    y = torch.tensor(m['labels'], dtype=torch.long)

    adversary = AutoAttack(model, norm='Linf', eps=m['eps'], version='standard', seed=m['seed'],
                           verbose=False, device='cpu')
    seconds = {}
    broken = {}

    def timed(attack, name_of):
        inner = attack.perturb

        def perturb(xb, yb):
            name = name_of()
            start = time.perf_counter()
            adv = inner(xb, yb)
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - start
            print(f'reference {name}: {seconds[name]:.1f} s', file=sys.stderr, flush=True)
            with torch.no_grad():
                broken[name] = broken.get(name, 0) + int((model(adv).argmax(1) != yb).sum())
            return adv
        attack.perturb = perturb

    timed(adversary.apgd, lambda: 'apgd-ce' if adversary.apgd.loss == 'ce' else 'apgd-dlr')
    timed(adversary.apgd_targeted, lambda: 'apgd-t')
    timed(adversary.fab, lambda: 'fab-t' if adversary.fab.targeted else 'fab')
    timed(adversary.square, lambda: 'square')
    start = time.perf_counter()
    x_adv = adversary.run_standard_evaluation(x, y, bs=a.batch or n)
    total = time.perf_counter() - start
    with torch.no_grad():
        clean = (model(x).argmax(1) == y)
        robust = (model(x_adv).argmax(1) == y) & clean
        linf = (x_adv - x).abs().flatten(1).max(1)[0]
    print(json.dumps({
        'torch': torch.__version__, 'threads': torch.get_num_threads(), 'seconds': seconds,
        'total_s': total, 'broken': broken, 'clean': int(clean.sum()),
        'robust': [int(r) for r in robust], 'max_linf': float(linf.max()),
    }))


if __name__ == '__main__':
    main()
