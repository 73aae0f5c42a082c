"""The API bench's figures: medians over rounds."""

from bench.api_section import Load


def test_a_median_load_takes_each_figures_median_and_every_error():
    loads = [Load(requests=1000, seconds=1, p50_ms=5, p95_ms=9, p99_ms=40, errors=0, cpu_seconds=0.5, db_cpu_seconds=0.1),
             Load(requests=3000, seconds=1, p50_ms=3, p95_ms=7, p99_ms=10, errors=2, cpu_seconds=0.9, db_cpu_seconds=0.6),
             Load(requests=2000, seconds=1, p50_ms=4, p95_ms=8, p99_ms=90, errors=0, cpu_seconds=2.0, db_cpu_seconds=0.2)]
    median = Load.median(loads)
    assert (median.rps, median.p50_ms, median.p95_ms, median.p99_ms, median.errors) == (2000, 4, 8, 40, 2)
    assert round(median.cpu_ms, 6) == 0.5 and round(median.db_cpu_ms, 6) == 0.1  # ms per request: 0.5, 0.3, 1.0
