"""The API bench's figures: medians over rounds; the CPU that a worker and its solver use."""

import os
import signal
import subprocess
import sys

from bench import api_section
from bench.api_section import Load


def test_a_median_load_takes_each_figures_median_and_every_error():
    loads = [
        Load(requests=1000, seconds=1, p50_ms=5, p95_ms=9, p99_ms=40, errors=0, cpu_seconds=0.5, db_cpu_seconds=0.1),
        Load(requests=3000, seconds=1, p50_ms=3, p95_ms=7, p99_ms=10, errors=2, cpu_seconds=0.9, db_cpu_seconds=0.6),
        Load(requests=2000, seconds=1, p50_ms=4, p95_ms=8, p99_ms=90, errors=0, cpu_seconds=2.0, db_cpu_seconds=0.2),
    ]
    median = Load.median(loads)
    assert (median.rps, median.p50_ms, median.p95_ms, median.p99_ms, median.errors) == (2000, 4, 8, 40, 2)
    assert round(median.cpu_ms, 6) == 0.5 and round(median.db_cpu_ms, 6) == 0.1  # ms per request: 0.5, 0.3, 1.0


def test_the_solver_s_cpu_is_counted_with_its_worker_s_though_it_leads_its_own_session():
    burner = (
        "import os, sys, time\n"
        "while time.process_time() < 0.5: pass\n"
        "print(os.getsid(0) == os.getpid(), flush=True); time.sleep(60)"
    )
    worker = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {burner!r}], start_new_session=True)"
    parent = subprocess.Popen([sys.executable, "-c", worker], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert parent.stdout.readline().strip() == "True"  # the child has burned its CPU, in a session of its own
        assert api_section._tree_cpu_seconds(parent.pid) >= 0.5
        assert api_section._cpu_seconds(parent.pid) < 0.5  # its group alone misses the child
    finally:
        for pid, (_, fields) in api_section._processes().items():
            if int(fields[1]) == parent.pid:
                os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()
