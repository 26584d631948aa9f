"""A log-in must not leave its 19 MiB of argon2id memory in the worker for good."""

import subprocess
import sys

SCRIPT = """
import threading
from marketplace.core import memory, security

def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024

assert memory.tune_malloc()
stored = security.hash_password("a long enough passphrase")
before = rss_mib()
for _ in range(3):  # as the thread pool verifies log-ins
    worker = threading.Thread(target=security.verify_password,
                              args=(stored, "a long enough passphrase"))
    worker.start()
    worker.join()
print(rss_mib() - before)
"""


def test_login_memory_goes_back_to_the_system():
    # A fresh interpreter: the test process's own allocator state would blur the figure.
    grown = int(subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                               check=True).stdout.strip())
    assert grown < 8, f"RSS grew by {grown} MiB after three log-ins"
