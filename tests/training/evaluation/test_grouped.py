import numpy as np
import pytest
from sklearn.metrics import f1_score

from training.evaluation.grouped import cross_group_f1


def test_each_repo_agrees_with_sklearn_and_the_mean_is_unweighted() -> None:
    rng = np.random.default_rng(0)
    classes = np.array(["bug", "feature", "question"], dtype=object)
    repos = np.repeat(np.array(["a/a", "b/b", "c/c"], dtype=object), [30, 60, 90])
    truth = classes[rng.integers(0, 3, len(repos))]
    predicted = np.where(
        rng.random(len(repos)) < 0.7, truth, classes[rng.integers(0, 3, len(repos))]
    )
    result = cross_group_f1(truth.tolist(), predicted.tolist(), repos.tolist())
    for repo in ("a/a", "b/b", "c/c"):
        mask = repos == repo
        expected = f1_score(truth[mask], predicted[mask], average="macro", labels=list(classes))
        assert result.per_group[repo] == pytest.approx(expected)
    assert result.mean == pytest.approx(
        np.mean([result.per_group[r] for r in ("a/a", "b/b", "c/c")])
    )
    assert result.pooled == pytest.approx(f1_score(truth, predicted, average="macro"))
    # Repositories weigh the same whatever their size, so the mean differs from the pooled score.
    assert result.mean != pytest.approx(result.pooled)


def test_a_class_a_repo_never_predicts_counts_as_zero_there() -> None:
    truth = ["bug", "feature", "question", "bug"]
    predicted = ["bug", "feature", "bug", "bug"]
    result = cross_group_f1(truth, predicted, ["r"] * 4)
    assert result.per_group["r"] == pytest.approx((0.8 + 1.0 + 0.0) / 3)


def test_misaligned_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="groups 2"):
        cross_group_f1(["a", "b", "c"], ["a", "b", "c"], ["r", "r"])
