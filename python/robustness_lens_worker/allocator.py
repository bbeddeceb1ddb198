"""Keeps the memory of freed tensors in the worker instead of handing it back to the system.

glibc serves every allocation of 32 MiB or more (and smaller ones, depending on what was freed
before: its threshold moves) with a fresh mmap, and unmaps it when freed. A CPU attack on a batch
of 128 CIFAR images allocates such activations and their gradients dozens of times per gradient
call, so each call re-faulted and zeroed 300-800 MB of pages: on the loaded 2-core machine 80,000
to 200,000 page faults and some 40% of the worker's CPU time in the kernel, more or less from one
process to the next as the moving threshold happened to settle. Taking large blocks from the heap
and never trimming it lets PyTorch reuse the same pages call after call. The cost is that the
worker keeps its peak memory until it exits.

RL_WORKER_MALLOC=default leaves glibc's settings alone (to measure the difference)."""
import ctypes
import ctypes.util
import os
import platform

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
# mallopt takes an int: the largest value keeps every freed byte.
NEVER_TRIM = 2 ** 31 - 1


def keep_freed_memory():
    """True when glibc took the settings; False elsewhere (macOS, Windows, musl) or when asked not to."""
    if os.environ.get('RL_WORKER_MALLOC') == 'default' or platform.libc_ver()[0] != 'glibc':
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6')
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # Both or neither: without the trim threshold the heap's top would still go back after each call.
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, NEVER_TRIM))
