"""Robustness Lens's PyTorch trainer: PGD-AT, Fast-AT and TRADES on one process or many
(torchrun / DistributedDataParallel), writing the engine's run folder. Run as
`python3 -m robustness_lens_trainer --run RUN_FOLDER` with python/ on PYTHONPATH."""
