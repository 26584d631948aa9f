"""How the C allocator hands memory back, set once when the application is built.

Two glibc settings, the same as ``MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=1048576`` in the
environment, but applied by the process itself so every way of starting it gets them:

- at most two malloc arenas, rather than eight per core for the thread pool's threads;
- blocks of 1 MiB and more always come from ``mmap`` and go back to the system when freed.
  Without it glibc raises that threshold after the first large free, and a log-in (argon2id
  takes 19 MiB) left 19 MiB in a thread's arena for the life of the worker.

Elsewhere than glibc (musl, macOS) this does nothing.
"""

import ctypes
import ctypes.util
import logging

M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD_BYTES = 1024 * 1024
ARENAS = 2

log = logging.getLogger(__name__)


def tune_malloc() -> bool:
    """Apply the settings above; False when this C library has no ``mallopt``."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = bool(mallopt(M_ARENA_MAX, ARENAS)) and bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    if not ok:
        log.warning("mallopt refused the arena and mmap settings")
    return ok
