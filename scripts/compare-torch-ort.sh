#!/usr/bin/env bash
# The same PyTorch model file and checkpoint evaluated twice with AutoAttack, on the same images:
# once on the user's PyTorch (--backend torch, the file's factory run by the Python worker) and once
# on ONNX Runtime (the engine reads the file statically and loads the checkpoint itself). Prints
# both clean and robust accuracies, each attack's accuracy and time on both, and the images whose
# clean or robust flag differs (result.json keeps the per-image flags after all attacks; the
# per-attack flags are not stored, so an image's difference is named by its final flags only).
# Issue 15 asks for equal clean accuracy and robust accuracy within 0.5pp on 1,000 images.
#
#   scripts/compare-torch-ort.sh MODEL.py 'factory(args)' WEIGHTS.pt [N] [EPS] [more eval options]
#   e.g. scripts/compare-torch-ort.sh small_net.py 'small_net(10)' small_net.pt 1000 0.1
#
# Environment: PYTHON (default /usr/bin/python3 when it exists, else python3), DATA (default
# mnist), VERSION (AutoAttack version, default standard), WORKSPACE (where the run folders go;
# default a new temporary folder), DEVICE (the torch side's --device; default its own choice),
# TORCH_RESULT (the --json output of an earlier torch run of the same arguments, reused instead of
# running the torch side again; only the ONNX Runtime side runs).
# Needs `node esbuild.js` (dist/cli.js) and onnxruntime-node. Exit status 0 when both runs end and
# meet the issue's test, 1 when they do not, 2 on bad use.
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
model="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
factory="$2"
weights="$(cd "$(dirname "$3")" && pwd)/$(basename "$3")"
n="${4:-1000}"
eps="${5:-0.1}"
shift $(($# < 5 ? $# : 5))
default_python=python3
[ -x /usr/bin/python3 ] && default_python=/usr/bin/python3
python="${PYTHON:-$default_python}"
data="${DATA:-mnist}"
version="${VERSION:-standard}"
workspace="${WORKSPACE:-$(mktemp -d "${TMPDIR:-/tmp}/rl-compare-XXXXXX")}"
cli="$root/bin/robustness-lens.js"
[ -f "$root/dist/cli.js" ] || { echo "dist/cli.js is missing: run node esbuild.js first" >&2; exit 2; }

common=(--data "$data" --n "$n" --eps "$eps" --version "$version" --weights "$weights" --workspace "$workspace" --json)
device=()
[ -n "${DEVICE:-}" ] && device=(--device "$DEVICE")

if [ -n "${TORCH_RESULT:-}" ]; then
  echo "torch: reusing $TORCH_RESULT" >&2
  cp "$TORCH_RESULT" "$workspace/torch.json"
else
  echo "torch: $model:$factory on $n images, eps $eps, AutoAttack $version; run folders under $workspace" >&2
  node "$cli" eval --backend torch --trust-code --entry "$model:$factory" --python "$python" "${device[@]}" \
    "${common[@]}" "$@" >"$workspace/torch.json"
fi
echo "onnxruntime: the same file and checkpoint" >&2
node "$cli" eval "$model" --backend onnxruntime "${common[@]}" "$@" >"$workspace/onnxruntime.json"

node - "$workspace/torch.json" "$workspace/onnxruntime.json" <<'EOF'
const fs = require('node:fs');
const read = (file) => {
  const text = fs.readFileSync(file, 'utf8');
  return JSON.parse(text.slice(text.indexOf('{')));
};
const [torch, ort] = process.argv.slice(2).map(read);
const a = torch.evaluation;
const b = ort.evaluation;
const pct = (v) => `${(100 * v).toFixed(2)}%`;
const pad = (s, w) => String(s).padEnd(w);
console.log(`${a.samples} images (torch) and ${b.samples} (onnxruntime), ${a.threat.norm} eps ${a.threat.eps}`);
console.log(`${pad('', 22)}${pad('torch', 22)}onnxruntime`);
console.log(`${pad('clean accuracy', 22)}${pad(pct(a.cleanAccuracy), 22)}${pct(b.cleanAccuracy)}`);
for (const [i, x] of a.attacks.entries()) {
  const y = b.attacks[i] ?? { robustAccuracy: NaN, seconds: NaN };
  const cell = (r) => `${pct(r.robustAccuracy)} (${r.seconds.toFixed(1)} s)`;
  const ratio = y.seconds > 0 ? `  torch/ort time ${(x.seconds / y.seconds).toFixed(2)}x` : '';
  console.log(`${pad(`after ${x.name}`, 22)}${pad(cell(x), 22)}${cell(y)}${ratio}`);
}
console.log(`${pad('robust accuracy', 22)}${pad(pct(a.robustAccuracy), 22)}${pct(b.robustAccuracy)}`);
console.log(`${pad('total time', 22)}${pad(`${a.seconds.toFixed(1)} s`, 22)}${b.seconds.toFixed(1)} s`);
const differ = (key) => {
  const p = a.perSample;
  const q = b.perSample;
  const out = [];
  for (let i = 0; i < Math.min(p.indices.length, q.indices.length); i++)
    if (p[key][i] !== q[key][i]) out.push(`${p.indices[i]} (torch ${p[key][i]}, ort ${q[key][i]})`);
  return out;
};
for (const key of ['clean', 'robust']) {
  const d = differ(key);
  console.log(`images whose ${key} flag differs: ${d.length}${d.length ? `: ${d.slice(0, 50).join(', ')}` : ''}`);
}
for (const [name, e] of [['torch', a], ['onnxruntime', b]])
  for (const w of e.warnings ?? []) console.log(`warning (${name}): ${w.code}: ${w.message ?? ''}`);
const gap = Math.abs(a.robustAccuracy - b.robustAccuracy);
const pass = a.samples === b.samples && a.cleanAccuracy === b.cleanAccuracy && gap <= 0.005 + 1e-12;
console.log(
  `${pass ? 'PASS' : 'FAIL'}: clean ${a.cleanAccuracy === b.cleanAccuracy ? 'equal' : 'differs'}, ` +
    `robust accuracies ${(100 * gap).toFixed(2)}pp apart (at most 0.5pp asked)`,
);
process.exitCode = pass ? 0 : 1;
EOF
