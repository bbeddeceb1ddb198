#!/usr/bin/env bash
# The torch back end on a GPU machine that has PyTorch with CUDA but no Node: the worker driven by
# a Python client of its protocol (python/robustness_lens_worker/gpu_check.py). Prints one JSON
# line: the device's name, the CUDA-vs-CPU relative errors of logits and the five objectives'
# input gradients, and PGD-10 images/s through the worker against PyTorch directly.
# usage: scripts/device/gpu-check.sh [--device cuda|cuda:N|cpu] [--batch N] [--rounds N]
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
python="${ROBUSTNESS_LENS_PYTHON:-python3}"
"$python" -c 'import torch, numpy; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' >&2
cd "$here/python"
PYTHONDONTWRITEBYTECODE=1 exec "$python" -m robustness_lens_worker.gpu_check --python "$python" "$@"
