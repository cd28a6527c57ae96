"""bench.challenges trains a challenge from its starting settings and reports when it is met."""

from bench.challenges import main


def test_composition_challenge_is_met_from_its_start(capsys):
    results = main(["--only", "composition", "--max-seconds", "15"])
    assert [(r.lesson, r.check, r.lab) for r in results] == [("composition", "c4", "two-moons")]
    (r,) = results
    assert r.met, r.note
    assert r.steps > 0
    assert r.note == ""
    out = capsys.readouterr().out
    assert "| composition | c4 | two-moons | yes |" in out
