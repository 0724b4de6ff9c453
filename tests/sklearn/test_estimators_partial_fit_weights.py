"""partial_fit with sample weights: each chunk's rows are weighed against every row the calls
have seen (w̄ over all of them), not against the chunk's own mean weight, so the calls
together train toward the weighted optimum that ``fit`` on all the rows reaches."""

import numpy as np
import pytest
from sklearn.base import clone

from bprop.sklearn import MLPClassifier, MLPRegressor

N = 200


def two_chunks(seed=0):
    """Inputs of one kind in two chunks; the first's targets are 0 (weight 1), the second's 1 (weight 9)."""
    rng = np.random.default_rng(seed)
    x_light, x_heavy = rng.normal(size=(N, 3)), rng.normal(size=(N, 3))
    return (x_light, np.zeros(N, dtype=int), np.ones(N)), (x_heavy, np.ones(N, dtype=int), np.full(N, 9.0))


SETTINGS = dict(hidden_layer_sizes=(4,), optimizer="sgd", learning_rate=0.01, batch_size=20, random_state=0,
                alpha=0.0, dtype="float64")


def same_parameters(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_))


def two_partial_fits(first, second, second_weight, rate):
    """A regressor after partial_fit on ``first`` (x, y, weights), then on ``second``'s x and y
    with ``second_weight`` at learning rate ``rate``."""
    model = MLPRegressor(**SETTINGS).partial_fit(first[0], first[1], sample_weight=first[2])
    model.set_params(learning_rate=rate)
    return model.partial_fit(second[0], second[1], sample_weight=second_weight)


def assert_close_parameters(a, b):
    """The two estimators' weights and biases agree to float64 rounding."""
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("Estimator", [MLPRegressor, MLPClassifier])
def test_alternating_chunks_of_weight_1_and_9_end_near_the_fit_on_both(Estimator):
    # The weighted optimum is 9/10 = 0.9 (the mean target, or P(class 1)); fit on both chunks
    # reaches 0.880 (regressor) and 0.870 (classifier), partial_fit 0.898 and 0.872. Before, each
    # chunk's own w̄ made the two chunks count alike: partial_fit settled at 0.527 and 0.490.
    light, heavy = two_chunks()
    extra = {"classes": [0, 1]} if Estimator is MLPClassifier else {}
    stepwise = Estimator(**SETTINGS)
    for _ in range(100):
        stepwise.partial_fit(light[0], light[1], sample_weight=light[2], **extra)
        stepwise.partial_fit(heavy[0], heavy[1], sample_weight=heavy[2])
    whole = Estimator(max_epochs=100, tol=0.0, n_iter_no_change=1000, **SETTINGS).fit(
        np.vstack([light[0], heavy[0]]), np.r_[light[1], heavy[1]], sample_weight=np.r_[light[2], heavy[2]])

    x_test = np.random.default_rng(1).normal(size=(1000, 3))
    if Estimator is MLPClassifier:
        mean_stepwise = stepwise.predict_proba(x_test)[:, 1].mean()
        mean_whole = whole.predict_proba(x_test)[:, 1].mean()
    else:
        mean_stepwise, mean_whole = stepwise.predict(x_test).mean(), whole.predict(x_test).mean()
    assert mean_whole > 0.85
    assert mean_stepwise > 0.85 and abs(mean_stepwise - mean_whole) < 0.05


def test_a_chunk_of_weight_9_after_one_of_weight_1_steps_9_5_as_far():
    # After N rows of weight 1, N rows of weight 9: w̄ = (N + 9N) / 2N = 5, so each row is scaled
    # by 9/5 of a plain row: with plain SGD, the step of an unweighted chunk at 9/5 the rate.
    # Before: w̄ was the chunk's own 9, and the chunk trained as an all-1 chunk (the weights
    # differed by 8.7e-19 at most; now by 0.074).
    light, heavy = two_chunks()

    def after_two_chunks(second_weight, rate=SETTINGS["learning_rate"]):
        return two_partial_fits(light, heavy, second_weight, rate)

    nine, one = after_two_chunks(heavy[2]), after_two_chunks(np.ones(N))
    assert max(np.abs(p - q).max() for p, q in zip(nine.coefs_ + nine.intercepts_, one.coefs_ + one.intercepts_)) > 1e-3
    faster = after_two_chunks(None, rate=SETTINGS["learning_rate"] * 9 / 5)
    assert_close_parameters(nine, faster)


def test_the_l2_term_takes_the_chunk_rows_times_the_running_mean_weight():
    # n of the L2 term is the chunk's rows times w̄ (as a whole set of mean weight w̄ would have it):
    # Σ w_x on a first call, 5N for the chunk of weight 9 after the chunk of weight 1.
    light, heavy = two_chunks()
    model = MLPRegressor(**{**SETTINGS, "alpha": 0.1}).partial_fit(light[0], light[1], sample_weight=np.full(N, 2.0))
    assert model.network_.regularizer.n == 2.0 * N
    model = MLPRegressor(**{**SETTINGS, "alpha": 0.1}).partial_fit(light[0], light[1], sample_weight=light[2])
    assert model.network_.regularizer.n == N
    model.partial_fit(heavy[0], heavy[1], sample_weight=heavy[2])
    assert model.network_.regularizer.n == 5.0 * N


def test_fit_and_clone_start_the_count_over():
    light, heavy = two_chunks()
    reference = MLPRegressor(**SETTINGS).partial_fit(light[0], light[1])
    reference.partial_fit(heavy[0], heavy[1], sample_weight=heavy[2])

    model = MLPRegressor(max_epochs=1, **SETTINGS)
    for _ in range(3):  # rows of weight 9 seen before the fit count no more after it
        model.partial_fit(heavy[0], heavy[1], sample_weight=heavy[2])
    model.fit(light[0], light[1])  # one epoch: as one partial_fit, with w̄ = 1
    model.partial_fit(heavy[0], heavy[1], sample_weight=heavy[2])
    assert same_parameters(model, reference)

    fresh = clone(model).partial_fit(heavy[0], heavy[1], sample_weight=heavy[2])  # w̄ = 9: each row scaled by 1
    plain = MLPRegressor(max_epochs=1, **SETTINGS).partial_fit(heavy[0], heavy[1])
    assert_close_parameters(fresh, plain)


def test_unweighted_rows_after_weighted_ones_weigh_1_against_the_running_mean():
    # N rows of weight 9, then N unweighted rows: w̄ = 5, so the unweighted rows step 1/5 as far.
    light, heavy = two_chunks()

    def after(second_weight, rate=SETTINGS["learning_rate"]):
        return two_partial_fits(heavy, light, second_weight, rate)

    unweighted, ones = after(None), after(np.ones(N))
    assert same_parameters(unweighted, ones)
    slower = MLPRegressor(**SETTINGS).partial_fit(heavy[0], heavy[1])  # w̄ = 9 alone: as unweighted
    slower.set_params(learning_rate=SETTINGS["learning_rate"] / 5).partial_fit(light[0], light[1])
    assert_close_parameters(unweighted, slower)
