"""Exact parameter counts of the PyTorch models in a file, by running it (Robustness Lens).

Usage: python3 inspect_model.py FILE NAME [NAME ...]
Each NAME is a module-level factory function or nn.Module class of FILE, called without
arguments. Prints one JSON object:
  {"torch": version, "models": {NAME: {"total": int, "modules": [{"name", "class", "params", "line"}]}},
   "errors": {NAME: message}}
"line" is the 1-based line of FILE where the module was constructed (found from the call stack).

This executes FILE. Robustness Lens runs it only when the user asks for exact counts in a
trusted workspace, in a separate process with a time limit.
"""
import importlib.util
import json
import os
import sys


def main() -> None:
    path, names = os.path.abspath(sys.argv[1]), sys.argv[2:]
    import torch  # noqa: imported here so a missing torch is reported as JSON below

    created_at = {}
    original_init = torch.nn.Module.__init__

    def recording_init(self, *args, **kwargs):
        frame = sys._getframe(1)
        while frame is not None:
            if os.path.abspath(frame.f_code.co_filename) == path:
                created_at[id(self)] = frame.f_lineno
                break
            frame = frame.f_back
        original_init(self, *args, **kwargs)

    torch.nn.Module.__init__ = recording_init
    spec = importlib.util.spec_from_file_location("robustness_lens_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    models, errors = {}, {}
    for name in names:
        try:
            model = getattr(module, name)()
        except Exception as error:  # report, do not crash: the other models may still count
            errors[name] = f"{type(error).__name__}: {error}"
            continue
        entries = []
        for module_name, sub in model.named_modules():
            own = sum(p.numel() for p in sub.parameters(recurse=False))
            if own or not list(sub.children()):
                entries.append({"name": module_name, "class": type(sub).__name__, "params": own, "line": created_at.get(id(sub))})
        models[name] = {"total": sum(p.numel() for p in model.parameters()), "modules": entries}
    print(json.dumps({"torch": torch.__version__, "models": models, "errors": errors}))


if __name__ == "__main__":
    try:
        main()
    except ImportError as error:
        print(json.dumps({"error": f"cannot import: {error}"}))
