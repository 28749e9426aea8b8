"""好差评 without a pre-selected score: the form cannot be sent without choosing, nor can a forged post."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.pages.feedback import ScoreMissingError, _score

TEMPLATE = Path(__file__).parents[2] / "api" / "templates" / "rating.html"


def test_no_score_is_pre_selected_and_one_must_be_chosen() -> None:
    radios = [line for line in TEMPLATE.read_text(encoding="utf-8").splitlines() if 'type="radio"' in line]
    assert radios
    assert all("checked" not in line and "required" in line for line in radios)


def test_a_post_without_a_score_is_refused_not_read_as_a_default() -> None:
    with pytest.raises(ScoreMissingError):
        _score({"comment.overall": "ok"}, "overall")
    with pytest.raises(ScoreMissingError):
        _score({"score.overall": "five"}, "overall")
    assert _score({"score.overall": "4"}, "overall").score == 4
