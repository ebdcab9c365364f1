import pytest

from training.fit.cascade import choose_threshold

TRUTH = ["a", "a", "b", "b", "c", "c"]
ACCURATE = ["a", "a", "b", "b", "c", "c"]
# The fast model is right where it is sure (0.9) and wrong on the two it doubts (0.4, 0.5).
FAST = ["a", "a", "b", "c", "c", "a"]
CONFIDENCE = [0.9, 0.9, 0.9, 0.4, 0.9, 0.5]


def test_no_budget_sends_exactly_the_doubted_tickets() -> None:
    choice = choose_threshold(TRUTH, FAST, CONFIDENCE, ACCURATE, loss_budget=0.0)
    assert 0.5 < choice.threshold <= 0.9
    assert choice.accurate_share == pytest.approx(2 / 6)
    assert choice.cascade_macro_f1 == choice.accurate_macro_f1 == 1.0


def test_a_loose_budget_sends_nothing() -> None:
    choice = choose_threshold(TRUTH, FAST, CONFIDENCE, ACCURATE, loss_budget=1.0)
    assert (choice.threshold, choice.accurate_share) == (0.0, 0.0)


def test_a_negative_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="budget >= 0"):
        choose_threshold(TRUTH, FAST, CONFIDENCE, ACCURATE, loss_budget=-0.1)
