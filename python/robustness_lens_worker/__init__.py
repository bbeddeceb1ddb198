"""The engine's `torch` back end: a worker that runs any torch.nn.Module for the TypeScript
attacks and training loops, speaking binary frames (frames.py) over its stdin and stdout."""
