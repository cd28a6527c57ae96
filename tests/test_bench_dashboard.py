"""bench.dashboard fills a class and times every instructor page (a small class here)."""

from bench.dashboard import PAGES, main


def test_every_instructor_page_is_timed(capsys):
    timings = main(["--learners", "5"])
    assert [t.page for t in timings] == list(PAGES)
    assert all(t.ms > 0 and t.kib > 0 for t in timings)
    out = capsys.readouterr().out
    assert out.startswith("5 learners, 150 attempts, 6 assignments")
    assert "| `/classes/{class}/dashboard` |" in out
