"""`roster serve --workers N` answers as fast as one worker does: no small-write stall per response."""

import statistics
import time

import httpx

from tests.resilience.conftest import ServerProcess

REQUESTS = 30
MEDIAN_WITHIN_MS = 20.0


def _median_ms(url: str) -> float:
    """Median time of sequential requests on one kept-alive connection (401s: no database work in the way)."""
    with httpx.Client(timeout=10) as client:
        client.get(url)
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            assert client.get(url).status_code == 401
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def test_several_workers_answer_without_a_delayed_ack_stall(db_url, server_log):
    # With the asyncio loop, uvicorn's pre-bound socket for --workers has proto 0, so asyncio never sets
    # TCP_NODELAY: the body waits on Nagle for the client's delayed ACK, some 40 ms on every response.
    server = ServerProcess(db_url, server_log, workers=2)
    server.start()
    try:
        median = _median_ms(server.url + "/experts")
    finally:
        server.stop()
    assert median < MEDIAN_WITHIN_MS, (
        f"GET /experts (401) took {median:.0f} ms (median of {REQUESTS}) with --workers 2: each response waits for a "
        "delayed ACK (no TCP_NODELAY); depend on uvicorn[standard] (uvloop sets it) or set it in `roster serve`"
    )


def test_a_forged_forwarded_for_gets_no_fresh_count(db_url, server_log):
    """uvicorn believes X-Forwarded-For from loopback by default; `roster serve` must not (no proxy is trusted)."""
    server = ServerProcess(db_url, server_log)
    server.start()
    try:
        with httpx.Client(timeout=10) as client:
            codes = [
                client.get(
                    server.url + "/experts",
                    headers={"Authorization": "Bearer rst_guess", "X-Forwarded-For": f"198.51.100.{i}"},
                ).status_code
                for i in range(11)
            ]
    finally:
        server.stop()
    assert codes == [401] * 10 + [429]
