"""benchmarks.load_test.cpu_seconds: another process's CPU time to well under /proc's 10-ms tick, threads
that have ended and child processes included (the fidelity benchmark compares costs of 10–30 ms)."""

from __future__ import annotations

import subprocess
import sys
import time

from benchmarks.load_test import cpu_seconds

BURN = """
import sys, threading, time
def burn(s):
    t = time.process_time()
    while time.process_time() - t < s: pass
th = threading.Thread(target=burn, args=(0.123,)); th.start(); th.join()   # a thread that ends
child = __import__("subprocess").Popen([sys.executable, "-c", "import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.2: pass\\ntime.sleep(30)"])
time.sleep(1.5)
print("ready", flush=True)
time.sleep(30)
"""


def test_cpu_seconds_counts_ended_threads_and_children_to_the_millisecond():
    proc = subprocess.Popen([sys.executable, "-c", BURN], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        t1 = cpu_seconds(proc.pid)
        time.sleep(0.3)
        t2 = cpu_seconds(proc.pid)
        # 0.123 s in the ended thread + 0.2 s in the child + the interpreters' start-up
        assert 0.323 < t1 < 0.323 + 1.5
        assert 0 <= t2 - t1 < 0.005  # both sleep now: nothing counted, no tick rounding
        assert t1 != round(t1, 2) or t2 != round(t2, 2)  # not in 10-ms ticks
    finally:
        for p in __import__("psutil").Process(proc.pid).children(recursive=True):
            p.kill()
        proc.kill()
