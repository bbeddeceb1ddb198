#!/usr/bin/env bash
# One training recipe run twice from the same seed: on the engine (ONNX Runtime, the TypeScript
# training loop) and on the PyTorch trainer in one process (python/robustness_lens_trainer). Both
# draw the same initial weights and the same data order and random starts from the seed (the
# trainer carries a port of the engine's generator), so their epoch metrics should agree up to
# float32 summation order. Prints each epoch's loss and held-out clean / FGSM / PGD accuracies side
# by side, with the largest gaps. Issue 19 asks how close the two are.
#
#   scripts/compare-trainers.sh [MODEL] [more train options]
#   e.g. scripts/compare-trainers.sh examples/mnist-small.arch.yaml --method trades --epochs 3
#
# Defaults: examples/mnist-small.arch.yaml, the bundled digits, PGD-AT, 3 epochs, 2,048 training and
# 200 held-out images, eps 0.1, seed 7. Environment: PYTHON (default /usr/bin/python3 when it
# exists, else python3), WORKSPACE (default a new temporary folder). Needs `node esbuild.js`.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${1:-$root/examples/mnist-small.arch.yaml}"
[ $# -gt 0 ] && shift
default_python=python3
[ -x /usr/bin/python3 ] && default_python=/usr/bin/python3
python="${PYTHON:-$default_python}"
workspace="${WORKSPACE:-$(mktemp -d "${TMPDIR:-/tmp}/rl-trainers-XXXXXX")}"
cli="$root/bin/robustness-lens.js"
[ -f "$root/dist/cli.js" ] || { echo "dist/cli.js is missing: run node esbuild.js first" >&2; exit 2; }

recipe=(--epochs 3 --train-samples 2048 --eval-samples 200 --batch-size 64 --eps 0.1 --attack-steps 5
  --seed 7 "$@")
echo "engine (ONNX Runtime) and PyTorch trainer on $model; run folders under $workspace" >&2
node "$cli" train "$model" --backend onnxruntime "${recipe[@]}" --workspace "$workspace/ort" --json \
  >"$workspace/onnxruntime.json"
node "$cli" train "$model" --backend torch --python "$python" "${recipe[@]}" --workspace "$workspace/torch" \
  --json >"$workspace/torch.json"

node - "$workspace/onnxruntime.json" "$workspace/torch.json" <<'EOF'
const fs = require('node:fs');
const read = (file) => {
  const text = fs.readFileSync(file, 'utf8');
  return JSON.parse(text.slice(text.indexOf('{')));
};
const [ort, torch] = process.argv.slice(2).map(read);
const history = (r) => r.history ?? r.result?.history ?? [];
const a = history(ort);
const b = history(torch);
if (a.length === 0 || a.length !== b.length) {
  console.error(`epochs differ: engine ${a.length}, PyTorch ${b.length}`);
  process.exit(1);
}
const keys = ['trainLoss', 'trainAccuracy', 'cleanAccuracy', 'fgsmAccuracy', 'pgdAccuracy'];
const gaps = Object.fromEntries(keys.map((k) => [k, 0]));
console.log(['epoch', ...keys.flatMap((k) => [`${k} engine`, `${k} torch`])].join('\t'));
a.forEach((x, i) => {
  const y = b[i];
  const row = [x.epoch];
  for (const k of keys) {
    row.push(x[k], y[k]);
    if (typeof x[k] === 'number' && typeof y[k] === 'number') gaps[k] = Math.max(gaps[k], Math.abs(x[k] - y[k]));
  }
  console.log(row.join('\t'));
});
console.log(`largest gaps: ${JSON.stringify(gaps)}`);
EOF
