"""The README's benchmark command runs: a small scale on SQLite loads, measures every page
and the naive way, refreshes after a day's import and prints the table (its figures are not
judged here: speed targets live in the benchmark's output, never in a test)."""

from benchmarks import scale
from components.frame import PAGES


def test_the_benchmark_measures_every_page_and_prints_its_table(monkeypatch, capsys):
    from data_access import db

    monkeypatch.delenv(db.ENV_VAR, raising=False)  # the benchmark points the pages at its data
    scale.main(["--tickets", "3000", "--runs", "1", "--backends", "sqlite", "--skip-sample"])
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("| sqlite 3,000 |")]
    pages = [line.split(" | ")[1] for line in table]
    assert pages[:len(PAGES)] == [page.label for page in PAGES]
    assert "naive ÷ ours: 问题 by town" in pages and "naive ÷ ours: 走访 by town" in pages
    assert "FAILED" not in out and "failed" not in out
    for line in table[:len(PAGES)]:
        cells = line.strip("|").split(" | ")
        assert cells[3].strip() and float(cells[3]) > 0  # the page's data, cold
        assert cells[-1].strip() == ""  # no error
    assert "refresh after writing 1,100 new tickets" in out
    assert "peak memory" in out
