#!/usr/bin/python3
"""Ground-truth PyTorch parameter counts for RobArch Hydra model configs.

For every ``*.yaml`` file in a folder of RobArch model configs (the Hydra form of
RobArch's ``configs/model/model.yaml``: ``model_source: "local"`` plus a ``kwargs:``
mapping), this script builds the model with RobArch's own
``robustarch.models.model.ConfigurableModel(**kwargs)`` and writes a JSON file::

    {
      "torch": "<torch.__version__>",
      "<file name>.yaml": {
        "total": sum(p.numel() for p in model.parameters()),
        "modules": {"<module name>": <parameters the module owns directly>, ...}
      },
      ...
    }

``modules`` lists, in ``model.named_modules()`` order, every module that owns
parameters directly (``sum(p.numel() for p in m.parameters(recurse=False)) > 0``);
in these models those are exactly the leaf modules with parameters (convolutions,
norms, PReLU / PSiLU / PSSiLU activations and the final Linear).

Resolving the Hydra config without Hydra:

* ``{_target_: hydra.utils.get_class, path: a.b.C}`` becomes the class ``a.b.C``
  (imported with importlib);
* ``${dataset.n_classes}`` becomes ``--num-classes`` (1000, ImageNet, by default);
  any other ``${...}`` interpolation is an error;
* everything else (numbers, lists, ``null``) is passed through as YAML gives it.

RobArch's code is not part of this project. To regenerate the counts:

1. Install PyTorch, torchvision and PyYAML. On Debian/Ubuntu the distribution
   packages are enough: ``apt-get install python3-torch python3-torchvision python3-yaml``
   (then run this script with ``/usr/bin/python3``).
2. Get RobArch's ``robustarch/`` package from a checkout of
   https://github.com/ShengYun-Peng/RobArch, for example::

       git clone https://github.com/ShengYun-Peng/RobArch /tmp/RobArch
       # or, from a bare mirror:
       mkdir -p /tmp/robarch-ref
       git -C RobArch.git archive HEAD robustarch | tar -x -C /tmp/robarch-ref

3. Run, from the repository root::

       /usr/bin/python3 scripts/torch-reference/robarch_counts.py --robarch /tmp/robarch-ref/robustarch

   which reads ``test/fixtures/robarch-hydra/variants/*.yaml`` and writes
   ``test/fixtures/robarch-hydra/variants/torch-counts.json``.

``model.py`` imports ``advertorch`` and ``ptflops``, which only its training and
FLOP-counting code uses; when they are not installed, this script puts small
stand-in modules in ``sys.modules`` so that the import succeeds.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
DEFAULT_VARIANTS = REPO_ROOT / "test" / "fixtures" / "robarch-hydra" / "variants"
GET_CLASS = "hydra.utils.get_class"
N_CLASSES_REF = "${dataset.n_classes}"


def add_robarch_to_path(robarch: Path) -> None:
    """Make ``import robustarch`` work, given the package folder or the folder above it."""
    robarch = robarch.resolve()
    if (robarch / "models" / "model.py").is_file():
        root = robarch.parent
        if robarch.name != "robustarch":
            sys.exit(f"--robarch {robarch}: the package folder must be named 'robustarch'")
    elif (robarch / "robustarch" / "models" / "model.py").is_file():
        root = robarch
    else:
        sys.exit(f"--robarch {robarch}: no robustarch/models/model.py found there")
    sys.path.insert(0, str(root))


def stub_missing_module(name: str, **attributes: Any) -> None:
    """Register a placeholder module when the real one cannot be imported."""
    try:
        importlib.import_module(name)
        return
    except ImportError:
        pass
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        qualified = ".".join(parts[:i])
        if qualified not in sys.modules:
            sys.modules[qualified] = types.ModuleType(qualified)
        if i > 1:
            setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], sys.modules[qualified])
    for key, value in attributes.items():
        setattr(sys.modules[name], key, value)


def install_stubs() -> None:
    import torch

    class NormalizeByChannelMeanStd(torch.nn.Module):  # stand-in; has no parameters
        def __init__(self, mean: Any = None, std: Any = None) -> None:
            super().__init__()

    def get_model_complexity_info(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("ptflops is not installed (stand-in module)")

    stub_missing_module("advertorch.utils", NormalizeByChannelMeanStd=NormalizeByChannelMeanStd)
    stub_missing_module("ptflops", get_model_complexity_info=get_model_complexity_info)


def load_class(path: str) -> type:
    module_name, _, attribute = path.rpartition(".")
    if not module_name:
        raise ValueError(f"class path {path!r} has no module part")
    return getattr(importlib.import_module(module_name), attribute)


def resolve(value: Any, num_classes: int, where: str) -> Any:
    """Turn the Hydra forms used in RobArch's model configs into Python values."""
    if isinstance(value, dict):
        if "_target_" in value:
            if value["_target_"] != GET_CLASS or set(value) != {"_target_", "path"}:
                raise ValueError(f"{where}: only {{_target_: {GET_CLASS}, path: ...}} is supported, got {value}")
            return load_class(value["path"])
        return {k: resolve(v, num_classes, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, num_classes, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str) and "${" in value:
        if value.strip() == N_CLASSES_REF:
            return num_classes
        raise ValueError(f"{where}: unsupported interpolation {value!r}")
    return value


def count(model: Any) -> dict[str, Any]:
    modules: dict[str, int] = {}
    for name, module in model.named_modules():
        own = sum(p.numel() for p in module.parameters(recurse=False))
        if own > 0:
            modules[name] = own
    return {"total": sum(p.numel() for p in model.parameters()), "modules": modules}


def build(config_path: Path, num_classes: int) -> Any:
    import yaml
    from robustarch.models.model import ConfigurableModel

    with open(config_path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    if not isinstance(config, dict) or "kwargs" not in config:
        raise ValueError(f"{config_path.name}: expected a mapping with a 'kwargs' key")
    source = config.get("model_source", "local")
    if source != "local":
        raise ValueError(f"{config_path.name}: model_source {source!r} is not 'local'")
    kwargs = resolve(config["kwargs"], num_classes, "kwargs")
    return ConfigurableModel(**kwargs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--robarch", required=True, type=Path,
                        help="RobArch's robustarch/ package folder (or the folder that contains it)")
    parser.add_argument("--variants", type=Path, default=DEFAULT_VARIANTS,
                        help=f"folder of Hydra model configs (default: {DEFAULT_VARIANTS.relative_to(REPO_ROOT)})")
    parser.add_argument("--out", type=Path, default=None,
                        help="JSON file to write (default: <variants>/torch-counts.json)")
    parser.add_argument("--num-classes", type=int, default=1000,
                        help="value of ${dataset.n_classes} (default: 1000)")
    args = parser.parse_args()

    add_robarch_to_path(args.robarch)
    import torch

    install_stubs()
    torch.set_grad_enabled(False)

    out_path = args.out or (args.variants / "torch-counts.json")
    configs = sorted(p for p in args.variants.glob("*.yaml") if p.is_file())
    if not configs:
        print(f"no *.yaml files in {args.variants}", file=sys.stderr)
        return 1

    result: dict[str, Any] = {"torch": torch.__version__}
    failures: list[str] = []
    for path in configs:
        try:
            model = build(path, args.num_classes)
        except Exception as error:  # report every failing config, then stop
            failures.append(f"{path.name}: {type(error).__name__}: {error}")
            continue
        result[path.name] = count(model)
        print(f"{path.name:40s} {result[path.name]['total']:>12,d}")
        del model

    if failures:
        print("\nconfigs that PyTorch could not build:", file=sys.stderr)
        for line in failures:
            print("  " + line, file=sys.stderr)
        print(f"{out_path} not written", file=sys.stderr)
        return 1

    tmp_path = out_path.with_suffix(out_path.suffix + ".tmp")
    with open(tmp_path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    os.replace(tmp_path, out_path)
    print(f"wrote {out_path} ({len(configs)} configs, torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
