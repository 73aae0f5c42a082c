"""The abuse bench runs end to end: a real server, reads idle and while imports from several tokens run."""

from bench import abuse_section
from service.platform.db import upgrade
from tests.resilience.conftest import free_port


def test_the_abuse_bench_reads_idle_then_while_imports_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'abuse.db'}"
    upgrade(url)
    argv = ["--database", url, "--rows", "30", "--experts", "20", "--duration", "1", "--clients", "1"]
    idle, busy, imports = abuse_section.run([*argv, "--api-workers", "1", "--port", str(free_port())])
    assert idle["requests"] > 0 and busy["requests"] > 0 and busy["ratio"] > 0
    assert imports["requests"] >= abuse_section.IMPORTERS and imports["ok"], imports
    assert "p99 / idle" in abuse_section.table([idle, busy, imports])
