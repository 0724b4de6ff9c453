"""scikit-learn's own estimator checks over bprop's estimators, in several settings."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from bprop.sklearn import MLPClassifier, MLPRegressor

# Small and quick, but enough epochs for the checks that demand a good score
# (check_classifiers_train: accuracy > 0.83; check_regressors_train: R^2 > 0.5).
# One batch per epoch on the checks' small data sets (batch_size "auto" = min(200, n)),
# so a fit of 60 epochs takes 60 steps: learning rates large enough for that. The
# regressors see unscaled targets in the hundreds (check_regressor_multioutput), on
# which plain SGD diverges from eta 0.01 on (bprop stops with a DivergenceError), so
# their SGD steps are smaller and they get more epochs to reach check_regressors_train's
# R^2 > 0.5 (training stops earlier when the cost stops improving).
SETTINGS = [
    dict(optimizer="adam", dtype="float64"),
    dict(optimizer="adam", dtype="float64", adam_kernel="numba"),  # the fast extra's compiled step
    dict(optimizer="adam", dtype="float32"),
    dict(optimizer="sgd", dtype="float64"),
    dict(optimizer="sgd", dtype="float32"),
    dict(optimizer="adam", dtype="float64", early_stopping=True),
    dict(optimizer="momentum", dtype="float32", early_stopping=True),
]
LEARNING_RATES = {
    "MLPClassifier": {"adam": 0.03, "sgd": 0.1, "momentum": 0.03},
    "MLPRegressor": {"adam": 0.03, "sgd": 0.005, "momentum": 0.003},
}
MAX_EPOCHS = {"MLPClassifier": 60, "MLPRegressor": 200}

ESTIMATORS = [
    Estimator(hidden_layer_sizes=(16,), max_epochs=MAX_EPOCHS[Estimator.__name__], random_state=0,
              learning_rate=LEARNING_RATES[Estimator.__name__][settings["optimizer"]], **settings)
    for Estimator in (MLPClassifier, MLPRegressor)
    for settings in SETTINGS
]


def expected_failures(estimator) -> dict:
    """The checks these settings cannot pass, with the reason (every other check passes)."""
    failures = {}
    if estimator.dtype == "float32":
        failures["check_sample_weight_equivalence_on_dense_data"] = (
            "float32 training: the weighted and the repeated-rows fits sum their gradients in a different "
            "order, so they agree to float32 rounding (observed: 1-4 units in the last place, ~2e-7), not to "
            "the check's rtol of 1e-7, below float32's resolution (eps = 1.2e-7). The float64 settings pass "
            "it, and tests/sklearn/test_estimators.py checks float32 to rtol 1e-5."
        )
    if estimator.early_stopping:
        failures["check_sample_weight_equivalence_on_dense_data"] = (
            "early_stopping holds out validation_fraction of the rows: a row of weight 3 is one row that lands "
            "in the training or the validation part, where its 3 copies are split between them, so the two "
            "fits train on different data. Without early stopping the float64 settings pass it."
        )
        if isinstance(estimator, MLPClassifier) and estimator.optimizer == "adam":
            failures["check_class_weight_classifiers"] = (
                "early stopping on 5 held-out rows (10% of the check's 50) of very noisy, unscaled blobs "
                "(cluster_std=20): their weighted cost bottoms out at epoch 7 and those weights are restored, "
                "which predict class 0 for 76% of the test rows where the check asks for 87% from a model "
                "trained to convergence (it raises max_iter to 1000 for scikit-learn's own estimators; these "
                "call it max_epochs). The same setting without early stopping passes it (100%)."
            )
    return failures


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
