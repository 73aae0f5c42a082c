"""The import bench runs against the service as it is laid out now (it broke silently when imports.py was split)."""

from bench import import_section


def test_the_import_bench_imports_every_row_then_finds_them_unchanged():
    fresh, again = import_section.run(["--rows", "40", "--repeat", "1"])
    assert fresh["rows"] == again["rows"] == 40 and fresh["seconds"] > 0
