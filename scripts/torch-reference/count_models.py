#!/usr/bin/python3
"""Exact PyTorch parameter counts for models defined in a Python file (the ground truth that
Robustness Lens's static PyTorch front end is tested against).

Usage: count_models.py FILE NAME [NAME ...]
Each NAME is a module-level factory function or nn.Module class of FILE; it is called (a class
is instantiated) with no arguments. Prints one JSON object {NAME: sum(p.numel() ...)}.

This runs the file's code: use it only on files you trust (the project's own examples).
"""
import importlib.util
import json
import sys


def main() -> None:
    path, names = sys.argv[1], sys.argv[2:]
    spec = importlib.util.spec_from_file_location("model_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    counts = {}
    for name in names:
        model = getattr(module, name)()
        counts[name] = sum(p.numel() for p in model.parameters())
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
