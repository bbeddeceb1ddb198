"""Process-group set-up from torchrun's environment (or none for a single process)."""
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class World:
    rank: int
    size: int
    local_rank: int
    device: torch.device

    @property
    def distributed(self):
        return self.size > 1

    @property
    def main(self):
        return self.rank == 0


def init_world(requested_device=None):
    size = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    cuda = torch.cuda.is_available() and requested_device != 'cpu'
    device = torch.device(f'cuda:{local_rank}' if cuda else 'cpu')
    if cuda:
        torch.cuda.set_device(device)
    if size > 1:
        # nccl where every process has a GPU, gloo on CPU (Li et al., 2020, PyTorch Distributed).
        dist.init_process_group('nccl' if cuda else 'gloo')
    return World(rank, size, local_rank, device)


def all_sum(world, values):
    """Sums a list of floats over the ranks (float64, so counts stay exact)."""
    t = torch.tensor(values, dtype=torch.float64, device=world.device if world.device.type == 'cuda' else 'cpu')
    if world.distributed:
        dist.all_reduce(t)
    return t.tolist()


def broadcast_buffers(world, module):
    """Rank 0's BatchNorm statistics everywhere (each rank updated them from its own shard)."""
    if not world.distributed:
        return
    for b in module.buffers():
        dist.broadcast(b.data, 0)


def barrier(world):
    if world.distributed:
        dist.barrier()


def shutdown(world):
    if world.distributed and dist.is_initialized():
        dist.destroy_process_group()
