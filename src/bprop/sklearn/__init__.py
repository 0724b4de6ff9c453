"""bprop in the scikit-learn world: ``MLPClassifier`` and ``MLPRegressor`` estimators.

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from bprop.sklearn import MLPClassifier
    >>> model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_epochs=20))

They pass scikit-learn's own estimator checks (``tests/sklearn``), so ``clone``,
``Pipeline``, ``cross_val_score`` and ``GridSearchCV`` (also on a Dask cluster, through
joblib's Dask backend) work on them. The fitted ``network_`` is a ``bprop.Network``.
"""

from .estimators import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
