"""Exact parameter counts of the PyTorch models in a file, by running it (Robustness Lens).

Usage: python3 inspect_model.py FILE NAME [NAME ...]
Each NAME is a module-level factory function or nn.Module class of FILE, called without
arguments, a module-level nn.Module instance, or a Python expression on FILE's names that gives
a model (get_model('ra_wrn70_16')), as the static reader names the models it finds. Prints one JSON object:
  {"torch": version, "models": {NAME: {"total": int, "modules": [{"name", "class", "params", "line"}],
                                       "fx": {"ops": [{"op", "target", "line"}]} or {"error": message}}},
   "errors": {NAME: message}}
"line" is the 1-based line of FILE where the module was constructed (found from the call stack).
"fx" is the forward graph from torch.fx.symbolic_trace, where the model traces: the module calls,
functions and methods in execution order (a module call's line is where that module was built).

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
            model = build(module, name)
        except Exception as error:  # report, do not crash: the other models may still count
            errors[name] = f"{type(error).__name__}: {error}"
            continue
        entries = []
        for module_name, sub in model.named_modules():
            own = sum(p.numel() for p in sub.parameters(recurse=False))
            if own or not list(sub.children()):
                entries.append({"name": module_name, "class": type(sub).__name__, "params": own,
                                "line": created_at.get(id(sub))})
        models[name] = {"total": sum(p.numel() for p in model.parameters()), "modules": entries,
                        "fx": forward_graph(model, created_at)}
    print(json.dumps({"torch": torch.__version__, "models": models, "errors": errors}))


def build(module, name):
    """The model NAME stands for in MODULE: an instance, a callable called with no arguments, an expression's value."""
    import torch

    # An expression on the file's names (get_model('ra_wrn70_16')): the file is the user's own, run only when trusted.
    value = getattr(module, name) if name.isidentifier() else eval(name, vars(module))  # noqa: S307
    if isinstance(value, torch.nn.Module):
        return value
    return value() if callable(value) else value


def forward_graph(model, created_at):
    """The torch.fx graph's operations, or why the model does not trace (data-dependent control flow)."""
    try:
        import torch.fx
        graph = torch.fx.symbolic_trace(model).graph
    except Exception as error:  # many real models do not trace: say why, keep the counts
        return {"error": f"{type(error).__name__}: {error}".splitlines()[0][:300]}
    ops = []
    for node in graph.nodes:
        if node.op not in ("call_module", "call_function", "call_method"):
            continue
        if node.op == "call_module":
            target, line = str(node.target), created_at.get(id(model.get_submodule(node.target)))
        else:
            target, line = getattr(node.target, "__name__", str(node.target)), None
        ops.append({"op": node.op, "target": target, "line": line})
    return {"ops": ops}


if __name__ == "__main__":
    try:
        main()
    except ImportError as error:
        print(json.dumps({"error": f"cannot import: {error}"}))
