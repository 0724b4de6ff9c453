"""scikit-learn estimators on top of ``bprop.Network``: ``MLPClassifier`` and ``MLPRegressor``.

Each ``fit`` builds (or, with ``warm_start``, continues) a ``bprop.Network`` and trains it
with bprop's own loop (``Network.fit``); the fitted ``network_`` is that network, so
``bprop.explain``, ``gradcheck``, ``draw`` and ``network_.save`` work on it.

What the estimators train (the tasks of ``bprop.tasks``, the heads of ``bprop.heads``):

    classifier, 2 classes     one sigmoid output + cross_entropy (as scikit-learn's MLP);
                              ``predict_proba`` gives [sigma(-z), sigma(z)]. ``output_activation=
                              "softmax"`` trains a softmax over 2 outputs instead.
    classifier, K > 2         a softmax over K outputs + log_likelihood
    classifier, multilabel    (y an indicator matrix (n, L)) L sigmoid outputs + cross_entropy
    regressor                 identity outputs + the quadratic cost, one per target column

The cost is the weighted mean C = Σ_x w_x C_x / Σ_x w_x over ``sample_weight`` (times the
``class_weight`` of each sample's class) plus ``alpha``'s L2 term (alpha / 2n) Σ w² with
n = Σ_x w_x (``bprop.weights``): the objective scikit-learn's MLP minimizes with its
full-batch solver, so a weight of 2 counts a sample as two copies of it would.
(scikit-learn's mini-batch solvers divide alpha by the batch size instead.)

Parameters in scikit-learn's style, in bprop's vocabulary: ``learning_rate`` is eta,
``max_epochs`` the number of passes over the data. Optimizer state (Adam's moments, the
momentum's velocities) lives across ``partial_fit`` calls and warm-started fits, so k
calls of ``partial_fit`` train exactly as one ``fit`` of k epochs. With sample weights,
each call weighs its rows against the mean weight of every row the calls have seen
(``MLPClassifier.partial_fit``), so chunks of different weights count as in one ``fit``.

With scikit-learn >= 1.9 the estimators take its callbacks (``set_callbacks(ProgressBar(),
ScoringMonitor(...))``, ``sklearn.callback``): a fit is a task whose subtasks are the epochs
(``EpochTasks``); with an older scikit-learn they work the same without them.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

try:  # scikit-learn's callback API (scikit-learn >= 1.9): progress bars, scoring monitors
    from sklearn.callback import CallbackSupportMixin, with_callbacks
except ImportError:  # an older scikit-learn: the estimators work the same, without it
    class CallbackSupportMixin:
        """Stands in for sklearn.callback.CallbackSupportMixin where scikit-learn has no callback API."""

    def with_callbacks(method):
        return method

from ..heads import softmax_log_pq
from ..network import Network
from ..datasets.splits import holdout_keeping_single_rows
from ..optimizers import SGD, Adam, Momentum
from ..training import Callback, DivergenceError, EarlyStopping
from ..weights import check_sample_weight

#: The optimizers an estimator builds, by name.
OPTIMIZER_NAMES = ("sgd", "momentum", "nesterov", "adam")

#: scikit-learn's activation names that bprop spells differently.
ACTIVATION_ALIASES = {"logistic": "sigmoid"}

#: The classifier's output activations (None: the default per task): they give probabilities.
PROBABILITY_OUTPUTS = (None, "softmax", "sigmoid")

#: The largest seed drawn from ``random_state`` for the network's generator.
MAX_SEED = 2**31 - 1


class ValidationScore(Callback):
    """Puts the estimator's ``score`` on the held-out rows (with their sample weights:
    weighted accuracy or R^2) into each epoch's logs as "val_score"; with sample weights,
    "val_cost" becomes the weighted mean cost Σ w_x C_x / Σ w_x of those rows (early
    stopping watches it)."""

    def __init__(self, estimator, X, y, y_net, sample_weight):
        self.estimator, self.X, self.y, self.y_net, self.sample_weight = estimator, X, y, y_net, sample_weight

    def on_epoch_end(self, trainer, epoch, logs):
        logs["val_score"] = self.estimator._validated_score(self.X, self.y, self.sample_weight)
        if self.sample_weight is not None:
            # n of the L2 term: Σ w_x of the training rows (trainer.penalty_n), as the unweighted
            # val_cost has it; the network's own default is unset until the first epoch ends.
            net = trainer.net
            logs["val_cost"] = net.evaluate_prepared(*net.prepare(self.X, self.y_net), penalty_n=trainer.penalty_n,
                                                     sample_weight=self.sample_weight)["cost"]


class EpochTasks(Callback):
    """scikit-learn's callbacks (``estimator.set_callbacks(ProgressBar(), ScoringMonitor(...))``,
    scikit-learn >= 1.9) see each epoch as a task of the fit: on_fit_task_begin and
    on_fit_task_end with the training data; a callback that asks to stop ends training."""

    def __init__(self, estimator, context, X, y, metadata):
        self.estimator, self.context, self.X, self.y, self.metadata = estimator, context, X, y, metadata
        self.task = None

    def on_epoch_begin(self, trainer, epoch):
        self.task = self.context.subcontext(task_name="epoch")
        self.task.call_on_fit_task_begin(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata)

    def on_epoch_end(self, trainer, epoch, logs):
        # the estimator is ready to predict as it stands (nothing to reconstruct)
        stop = self.task.call_on_fit_task_end(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
                                              reconstruction_attributes={})
        if stop:
            trainer.stop_training = True


class BaseMLP(CallbackSupportMixin, BaseEstimator):
    """What the classifier and the regressor share: the parameters, the network, the loop.

    Subclasses define ``_targets`` (validated y -> what ``Network.fit`` takes, and the
    output layer) and ``_validated_score`` (``score`` on validated arrays).
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        output_activation=None,
        cost=None,
        optimizer="adam",
        learning_rate=0.001,
        batch_size="auto",
        max_epochs=200,
        alpha=0.0001,
        l1=0.0,
        dropout=0.0,
        momentum=0.9,
        adam_kernel="numpy",
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        shuffle=True,
        random_state=None,
        dtype="float32",
        verbose=False,
        warm_start=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output_activation = output_activation
        self.cost = cost
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.alpha = alpha
        self.l1 = l1
        self.dropout = dropout
        self.momentum = momentum
        self.adam_kernel = adam_kernel
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.shuffle = shuffle
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose
        self.warm_start = warm_start

    # -- fitted views in scikit-learn's layout ---------------------------------------

    @property
    def coefs_(self) -> list[np.ndarray]:
        """The weights in scikit-learn's layout: coefs_[l - 1] = (w^l)^T, (n_(l-1), n_l)
        (views of the network's arrays)."""
        check_is_fitted(self)
        return [w.T for w in self.network_.weights]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """The biases b^l, (n_l,) (the network's arrays)."""
        check_is_fitted(self)
        return list(self.network_.biases)

    # -- checks ---------------------------------------------------------------------

    def _checked_settings(self) -> dict:
        """The parameters, checked; raises ValueError naming the bad one."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise ValueError(f"hidden_layer_sizes must be a tuple of positive integers, got {self.hidden_layer_sizes!r}") from None
        if any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in sizes):
            raise ValueError(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}")
        if self.optimizer not in OPTIMIZER_NAMES:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZER_NAMES)}; got {self.optimizer!r}")
        if self.adam_kernel not in Adam.KERNELS:
            raise ValueError(f"adam_kernel must be one of {', '.join(Adam.KERNELS)}; got {self.adam_kernel!r}")
        if self.adam_kernel != "numpy":
            Adam(kernel=self.adam_kernel)  # ImportError naming the extra when numba is missing, before any work
        batch_size = self.batch_size
        if batch_size != "auto" and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                     or batch_size < 1):
            raise ValueError(f"batch_size must be 'auto' or a positive integer, got {batch_size!r}")
        for name in ("max_epochs", "n_iter_no_change"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        for name, low, high in (("learning_rate", 0, np.inf), ("alpha", 0, np.inf), ("l1", 0, np.inf),
                                ("tol", 0, np.inf), ("dropout", 0, 1), ("momentum", 0, 1),
                                ("validation_fraction", 0, 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low <= value < high:
                raise ValueError(f"{name} must be a number in [{low}, {high}), got {value!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}")
        if self.early_stopping and not self.validation_fraction > 0:
            raise ValueError("early_stopping needs validation_fraction > 0")
        if self.alpha > 0 and self.l1 > 0:
            raise ValueError("the network has one weight penalty: give alpha (L2) or l1, set the other to 0")
        regularizer = ("l2", self.alpha) if self.alpha > 0 else ("l1", self.l1) if self.l1 > 0 else None
        activation = ACTIVATION_ALIASES.get(self.activation, self.activation)
        output = self.output_activation
        output = ACTIVATION_ALIASES.get(output, output)
        return {"sizes": sizes, "activation": activation, "output": output, "regularizer": regularizer}

    # -- fitting --------------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Train on (X, y) for up to ``max_epochs`` epochs; return self.

        Args:
            X: (n_samples, n_features) numbers (a DataFrame records ``feature_names_in_``).
            y: the targets (see the class docstring).
            sample_weight: optional weights w_x >= 0 (n_samples,).
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @with_callbacks
    def _fit(self, X, y, sample_weight, incremental, classes=None):
        # A rejected call changes nothing: every attribute set while checking the data and
        # building the network is put back when a check fails (here, or in Network.fit, which
        # changes nothing of the network when it refuses its input).
        saved = dict(self.__dict__)
        optimizer = saved.get("_optimizer")
        eta = None if optimizer is None else optimizer.eta
        # a RandomState (given, or NumPy's global one for None) is drawn from for the seeds: put back too
        shared_rng = None
        if self.random_state is None or isinstance(self.random_state, np.random.RandomState):
            shared_rng = check_random_state(self.random_state)
        rng_state = None if shared_rng is None else shared_rng.get_state()
        try:
            plan = self._prepare(X, y, sample_weight, incremental, classes)
            return self._train(*plan)
        except DivergenceError as error:
            # the network keeps the weights of the epochs finished before the divergence: record them
            self._record(error.history)
            raise
        except (ValueError, TypeError):
            # scikit-learn's callback bookkeeping stays: its teardown (with_callbacks) needs it
            callback_state = {key: value for key, value in self.__dict__.items()
                              if key in ("_callback_fit_ctx", "_skl_callbacks_to_teardown")}
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.__dict__.update(callback_state)
            if optimizer is not None:
                optimizer.eta = eta
            if shared_rng is not None:
                shared_rng.set_state(rng_state)
            raise

    def _prepare(self, X, y, sample_weight, incremental, classes):
        """Check everything, build (or continue) the network and the optimizer: what ``_train`` runs."""
        settings = self._checked_settings()
        first = not hasattr(self, "network_") or not (incremental or self.warm_start)
        X, y = validate_data(self, X, y, reset=first, dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=isinstance(self, RegressorMixin))
        weights = None if sample_weight is None else check_sample_weight(np.asarray(sample_weight), X.shape[0])
        X_given, y_given = X, y  # what scikit-learn's callbacks score on (all the rows given)
        y_net, output, cost, weights = self._targets(y, first, classes, weights, settings)
        if weights is not None:
            weights = check_sample_weight(weights, X.shape[0], "sample_weight x class_weight")
        if first:
            rng = check_random_state(self.random_state)
            self._seed = int(rng.randint(MAX_SEED))
            self._split_seed = int(rng.randint(MAX_SEED))
            self._structure = self._structure_of(settings, output, cost)
            self.network_ = Network(
                [X.shape[1], *settings["sizes"], self._n_outputs], hidden=settings["activation"], output=output,
                cost=cost, seed=self._seed, dtype=self.dtype, regularizer=settings["regularizer"],
                dropout=self.dropout or None, task=self._task, classes=self._network_classes,
                feature_names=None if not hasattr(self, "feature_names_in_") else [str(name) for name in
                                                                                 self.feature_names_in_],
            )
            self._optimizer = self._new_optimizer()
            self.n_iter_ = 0
            self.loss_curve_ = []
            self.validation_loss_curve_ = []
            self.validation_scores_ = [] if self.early_stopping else None
            self.best_validation_score_ = None
        else:
            if self._structure_of(settings, output, cost) != self._structure:
                raise ValueError(
                    "the network's structure (hidden_layer_sizes, activation, output, cost, dtype, penalty or "
                    "dropout) changed since it was built: set warm_start=False to build a new one"
                )
            if self._optimizer.name != self._optimizer_name():
                self._optimizer = self._new_optimizer()

        n = X.shape[0]
        batch_size = min(200, n) if self.batch_size == "auto" else min(self.batch_size, n)
        options = {"verbose": bool(self.verbose), "handle_signals": False, "grad_norm_every": 0,
                   "shuffle": bool(self.shuffle)}
        if incremental:
            epochs, callbacks, validation = 1, [], None
        else:
            epochs = self.max_epochs
            validation = None
            if self.early_stopping:
                X, y_net, weights, validation, held_out = self._validation_split(X, y_net, y, weights)
                callbacks = [ValidationScore(self, *held_out),
                             EarlyStopping(monitor="val_cost", patience=self.n_iter_no_change, min_delta=self.tol)]
            else:
                callbacks = [EarlyStopping(monitor="train_cost", patience=self.n_iter_no_change, min_delta=self.tol,
                                           restore_best=False)]
        # The rows trained on so far and the sum of their weights: fit starts the count over with
        # its training rows; partial_fit adds its chunk and trains it against their mean weight w̄.
        rows, total = X.shape[0], float(X.shape[0]) if weights is None else float(weights.sum())
        if incremental and not first:
            rows, total = self._rows_seen + rows, self._weight_seen + total
        if incremental:
            options["mean_weight"] = total / rows
        seen = (rows, total)
        return X, y_net, weights, validation, callbacks, epochs, batch_size, options, X_given, y_given, sample_weight, seen

    def _train(self, X, y_net, weights, validation, callbacks, epochs, batch_size, options, X_given, y_given,
               sample_weight, seen):
        """Run ``Network.fit`` with the prepared data and callbacks; record the curves and
        ``seen``, the rows and the sum of their weights trained on so far; return self."""
        self._optimizer.eta = float(self.learning_rate)
        if isinstance(self._optimizer, Adam):  # warm_start / partial_fit: the kernel asked for now (same numbers)
            self._optimizer.kernel = self.adam_kernel
        if hasattr(self, "_init_callback_context"):  # scikit-learn's callback API
            metadata = None if sample_weight is None else {"sample_weight": sample_weight}
            context = self._init_callback_context(max_subtasks=epochs)
            context.call_on_fit_task_begin(estimator=self, X=X_given, y=y_given, metadata=metadata)
            if getattr(self, "_skl_callbacks", None):
                callbacks = callbacks + [EpochTasks(self, context, X_given, y_given, metadata)]
        self._rows_seen, self._weight_seen = seen  # (a fit that diverges has trained on them too)
        history = self.network_.fit(
            X, y_net, epochs=epochs, batch_size=batch_size, eta=self._optimizer.eta, optimizer=self._optimizer,
            validation=validation, callbacks=callbacks, sample_weight=weights, **options,
        )
        self._record(history)
        restored = next((c for c in callbacks if isinstance(c, EarlyStopping) and c.restore_best), None)
        if restored is not None and restored.best_epoch:  # early_stopping put back its best epoch's weights
            run_scores = self.validation_scores_[len(self.validation_scores_) - len(history.epochs):]
            self.best_validation_score_ = run_scores[restored.best_epoch - 1]
        if hasattr(self, "_init_callback_context"):
            context.call_on_fit_task_end(estimator=self, X=X_given, y=y_given, metadata=metadata,
                                         reconstruction_attributes={})
        return self

    def _structure_of(self, settings, output, cost) -> tuple:
        return (settings["sizes"], settings["activation"], output, cost, self.dtype, settings["regularizer"],
                self.dropout, self._n_outputs)

    def _optimizer_name(self) -> str:
        return self.optimizer

    def _new_optimizer(self):
        eta = float(self.learning_rate)
        if self.optimizer == "adam":
            return Adam(eta=eta, kernel=self.adam_kernel)
        if self.optimizer == "sgd":
            return SGD(eta=eta)
        return Momentum(eta=eta, mu=float(self.momentum), nesterov=self.optimizer == "nesterov")

    def _validation_split(self, X, y_net, y, weights):
        """Hold out ``validation_fraction`` of the rows (stratified for a classifier): (X, y_net,
        weights) to train on, the network's validation pair, and (X, y, weights) held out."""
        stratify = self._stratify(y_net)
        arrays = [X, y_net, y] + ([] if weights is None else [weights])
        try:
            parts = train_test_split(*arrays, test_size=self.validation_fraction, random_state=self._split_seed,
                                     stratify=stratify)
        except ValueError:
            if stratify is None:
                raise
            # a class of one row stays in training, the others stratified; else (too few held-out
            # rows for every class) not stratified
            found = holdout_keeping_single_rows(stratify, math.ceil(self.validation_fraction * X.shape[0]),
                                                self._split_seed)
            if found is None:
                parts = train_test_split(*arrays, test_size=self.validation_fraction, random_state=self._split_seed)
            else:
                kept, held = found
                parts = [part for array in arrays for part in (array[kept], array[held])]
        X_train, X_val, y_train, y_val, _, y_held = parts[:6]
        weights_train, weights_val = (parts[6], parts[7]) if weights is not None else (None, None)
        if weights is not None:
            for part, chosen in (("training", weights_train), ("validation", weights_val)):
                if not chosen.sum() > 0:
                    raise ValueError(
                        f"early_stopping: the sample weights of the {part} part of the split "
                        f"({chosen.size} of {weights.size} rows, validation_fraction={self.validation_fraction}) "
                        "sum to 0, so it has nothing to weigh; give more rows positive weights or change "
                        "validation_fraction or random_state")
        return X_train, y_train, weights_train, (X_val, y_val), (X_val, y_held, y_val, weights_val)

    def _stratify(self, y_net):
        return None

    def _record(self, history) -> None:
        """The fitted attributes from the run's ``History``."""
        self.history_ = history
        epochs = history.epochs
        self.n_iter_ += len(epochs)
        self.loss_curve_ += [row["train_cost"] for row in epochs]
        self.best_loss_ = min(self.loss_curve_) if self.loss_curve_ else None
        self.validation_loss_curve_ += [row["val_cost"] for row in epochs if "val_cost" in row]
        if self.validation_scores_ is not None:
            self.validation_scores_ += [row["val_score"] for row in epochs if "val_score" in row]

    def _forward(self, X) -> np.ndarray:
        """a^L of the fitted network for X (validated here), in float64."""
        return self._outputs(self._checked_inputs(X))

    def _checked_inputs(self, X) -> np.ndarray:
        """X validated for the fitted estimator (features, names, finite numbers)."""
        check_is_fitted(self)
        return validate_data(self, X, reset=False, dtype=(np.float64, np.float32))

    def _outputs(self, X) -> np.ndarray:
        """a^L of the network for an already validated X, in float64."""
        return self.network_.predict_proba(X).astype(np.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A multilayer perceptron classifier trained by backpropagation (``bprop.Network``).

    Binary, multiclass (labels of any kind: strings, integers, ...) and multilabel (y an
    indicator matrix). See the module docstring for the output layers and the cost.

    Args:
        hidden_layer_sizes: the sizes of the hidden layers, e.g. (100,) or (64, 32).
        activation: of the hidden layers: "relu", "tanh", "sigmoid" ("logistic"),
            "leaky_relu", "identity".
        output_activation: None (the default per task, above), "softmax" or "sigmoid".
        cost: None (the one that goes with the output: log_likelihood after a softmax,
            cross_entropy after sigmoids), or "quadratic", "cross_entropy", "log_likelihood".
        optimizer: "adam" (default), "sgd", "momentum" or "nesterov".
        learning_rate: eta, > 0 (default 0.001, Adam's).
        batch_size: "auto" = min(200, n_samples), or a positive integer.
        max_epochs: the most passes over the training data in ``fit``.
        alpha: L2 strength lambda >= 0: + (alpha / 2n) Σ w² with n = Σ w_x.
        l1: L1 strength >= 0: + (l1 / n) Σ |w| (use alpha or l1, not both).
        dropout: drop probability p of each hidden neuron while training, in [0, 1).
        momentum: mu of the "momentum" and "nesterov" optimizers.
        adam_kernel: how the "adam" optimizer computes its step: "numpy" (default) or "numba"
            (one compiled pass, the same numbers bit for bit, about 0.8x the epoch of a large
            network; needs ``pip install "bprop[fast]"``, else ImportError). ``bprop.Adam``'s ``kernel``.
        early_stopping: hold out ``validation_fraction`` of the training rows (stratified),
            stop when the validation cost (the weighted mean with sample weights, as
            the training cost) has not improved by ``tol`` for ``n_iter_no_change``
            epochs, and restore the best epoch's weights (as Keras's EarlyStopping on
            val_loss; scikit-learn's MLP watches the validation score). Without it,
            training stops when the training cost has not improved by ``tol`` for
            ``n_iter_no_change`` epochs.
        shuffle: reshuffle the training rows every epoch.
        random_state: None, an int or a RandomState: seeds the initial weights, the
            shuffling, dropout and the validation split.
        dtype: "float32" (default, fast) or "float64".
        verbose: a progress bar and a line per epoch (default: silent).
        warm_start: ``fit`` continues the fitted network and its optimizer state.
        class_weight: None, "balanced" or {label: weight}: each sample's weight is
            multiplied by its class's.

    Attributes:
        network_: the fitted ``bprop.Network`` (its ``classes`` are ``classes_``).
        classes_: the class labels (multilabel: 0..L-1).
        n_features_in_, feature_names_in_ (DataFrame input only).
        loss_curve_: the training cost of every epoch (every ``fit`` and ``partial_fit``):
            the running (weighted) mean of the batches' costs as they trained, plus the
            regularization term of the weights at the epoch's END (``bprop.training.trainer``).
            scikit-learn's MLP adds each batch's term at that batch's weights, so with
            alpha > 0 the two curves differ even for identical weights (full batch, alpha=2:
            1.3836 here, 1.4229 there, for the same first epoch).
        validation_scores_: validation accuracy (weighted) per epoch (early_stopping
            only; else None); best_validation_score_: that of the epoch whose weights
            were restored (the lowest validation cost), i.e. the fitted model's.
        validation_loss_curve_: the validation cost per epoch (early_stopping only).
        best_loss_: the lowest training cost; n_iter_: epochs trained; history_: the last
            run's ``bprop.History``.
        coefs_, intercepts_: the weights (n_(l-1), n_l) and biases in scikit-learn's layout.
    """

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, output_activation=None, cost=None,
                 optimizer="adam", learning_rate=0.001, batch_size="auto", max_epochs=200, alpha=0.0001, l1=0.0,
                 dropout=0.0, momentum=0.9, adam_kernel="numpy", early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=10, tol=1e-4, shuffle=True, random_state=None, dtype="float32", verbose=False,
                 warm_start=False, class_weight=None):
        super().__init__(
            hidden_layer_sizes, activation, output_activation=output_activation, cost=cost, optimizer=optimizer,
            learning_rate=learning_rate, batch_size=batch_size, max_epochs=max_epochs, alpha=alpha, l1=l1,
            dropout=dropout, momentum=momentum, adam_kernel=adam_kernel, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change, tol=tol, shuffle=shuffle,
            random_state=random_state, dtype=dtype, verbose=verbose, warm_start=warm_start,
        )
        self.class_weight = class_weight

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over (X, y), continuing the network and its optimizer state; return self.

        ``classes``: every label y will ever hold; required on the first call.

        ``sample_weight`` (n_samples,): the calls together train on the weighted mean over
        every row they have seen. Row x of a mini-batch of m rows is scaled by
        w_x / (m w̄) (``bprop.weights``), with w̄ = (Σ w_x) / (number of rows) over the
        rows of this call and of every earlier ``partial_fit`` (and of the ``fit`` before
        them, which starts the count over; so does a fresh estimator or a clone). So after
        a chunk of n rows of weight 1, a chunk of n rows of weight 9 is scaled by 9/5 (w̄ = 5),
        not by 1 as the chunk's own w̄ would have it, and calls alternating the two weigh the
        heavy rows 9 times as much, as ``fit`` on both does. Rows without weights weigh 1
        (``class_weight`` multiplies either). The L2/L1 term's n is
        this call's rows times w̄ (its Σ w_x on a first call; its number of rows when no
        call has weights, so unweighted calls train exactly as before).
        """
        if not hasattr(self, "network_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit (every label y may hold)")
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError("class_weight='balanced' is not supported by partial_fit: each call's y would weigh the "
                             "classes differently; pass class_weight=dict(zip(classes, compute_class_weight("
                             "'balanced', classes=classes, y=y_sample))) from a large enough sample of the labels")
        if hasattr(self, "network_") and classes is not None and not self._multilabel:
            given = np.unique(np.asarray(classes))
            if given.shape != self.classes_.shape or np.any(given != self.classes_):
                raise ValueError(f"classes={given.tolist()} differs from the classes of the first call, "
                                 f"{self.classes_.tolist()}; they cannot change (fit again to start over)")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _targets(self, y, first, classes, weights, settings):
        if settings["output"] not in PROBABILITY_OUTPUTS:
            raise ValueError(f"output_activation must be None, 'softmax' or 'sigmoid' ('logistic') for a classifier "
                             f"(the outputs predict_proba gives as probabilities), got {self.output_activation!r}")
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.dtype == object and len({isinstance(label, str) for label in y.ravel()}) > 1:
            # (scikit-learn's checks answer "'<' not supported between ..." or "Unknown label type")
            raise ValueError("the labels are of mixed types (strings and others: numbers, None or NaN), which have "
                             "no order for classes_; drop the missing labels or convert them to one type, e.g. "
                             "y.astype(str)")
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind == "multiclass-multioutput":
            raise ValueError("y is multiclass-multioutput (several columns of class labels), which the classifier "
                             "does not train: give one column of labels, or a 0/1 indicator matrix for multilabel")
        if first:
            multilabel = kind == "multilabel-indicator"
            if multilabel:
                found = np.arange(y.shape[1])
            else:
                found = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if found.size < 2:
                raise ValueError(f"a classifier needs samples of at least 2 classes; y has 1 class ({found[0]!r})")
            if classes is not None and not multilabel and not np.all(np.isin(np.unique(y), found)):
                raise ValueError(f"y holds labels outside classes={found.tolist()}")
            self.classes_ = found
            self._multilabel = multilabel
        elif (kind == "multilabel-indicator") != self._multilabel:
            raise ValueError("y must keep the kind of targets of the first fit (multilabel or class labels)")
        if self._multilabel:
            if self.class_weight is not None:
                raise ValueError(f"class_weight={self.class_weight!r} is not supported for multilabel targets (an "
                                 "indicator matrix): weigh the samples with sample_weight instead")
            if y.shape[1] != self.classes_.size:
                raise ValueError(f"y has {y.shape[1]} labels; the classifier was fitted with {self.classes_.size}")
            y_net = y.astype(np.float64)
            output, cost = settings["output"] or "sigmoid", self.cost or "cross_entropy"
            self._task, self._n_outputs, self._network_classes = "multilabel", y.shape[1], None
        else:
            index = np.searchsorted(self.classes_, y)
            index = np.clip(index, 0, self.classes_.size - 1)
            unknown = self.classes_[index] != y
            if np.any(unknown):
                raise ValueError(f"y has labels the classifier was not fitted with: {np.unique(y[unknown])[:5].tolist()}"
                                 f" (classes_ = {self.classes_.tolist()})")
            k = self.classes_.size
            default_output = "sigmoid" if k == 2 else "softmax"
            output = settings["output"] or default_output
            cost = self.cost or ("log_likelihood" if output == "softmax" else "cross_entropy")
            self._n_outputs = 1 if (k == 2 and output == "sigmoid") else k
            self._task = "classification"
            self._network_classes = self._classes_for_network()
            y_net = index if self._network_classes is None else self._network_classes[index]
            if self.class_weight is not None:
                factors = compute_sample_weight(self._class_weight_by_index(), index)
                weights = factors if weights is None else weights * factors
        return y_net, output, cost, weights

    def _class_weight_by_index(self):
        """``class_weight`` keyed by output index (compute_sample_weight sees indices)."""
        if isinstance(self.class_weight, str):
            if self.class_weight != "balanced":
                raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}")
            return "balanced"
        if not isinstance(self.class_weight, dict):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}")
        result = {}
        for label, weight in self.class_weight.items():
            matches = np.flatnonzero(self.classes_ == label)
            if matches.size != 1:
                raise ValueError(f"class_weight has the label {label!r}, which is not among classes_ "
                                 f"{self.classes_.tolist()}")
            result[int(matches[0])] = weight
        return {i: result.get(i, 1.0) for i in range(self.classes_.size)}

    def _classes_for_network(self):
        """classes_ as an array ``Network(classes=...)`` stores in its model file (numbers or
        strings), or None when the labels are of mixed kinds (then the network keeps indices)."""
        array = self.classes_
        if array.dtype == object:
            try:
                array = np.asarray(array.tolist())
            except (TypeError, ValueError):
                return None
            if array.dtype == object:
                return None
        if not (np.issubdtype(array.dtype, np.number) or array.dtype.kind in "bUS"):
            return None
        if np.any(np.sort(array) != array) or np.unique(array).size != array.size:
            return None
        return array

    def _stratify(self, y_net):
        return None if self._multilabel else y_net

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n, K) in ``classes_`` order (binary: [sigma(-z), sigma(z)]);
        multilabel: each label's probability sigma(z_k) (n, L). K > 2 classes on sigmoid
        outputs: each row's sigma(z_k) / Σ_j sigma(z_j), so that rows sum to 1 (as
        scikit-learn's OneVsRestClassifier normalizes them). float64, computed from the
        logits z^L in log space (``predict_log_proba``), so a small probability keeps its
        digits when a^L would round it away in the network's float32 (1 - a is 0 from z = 17.4)."""
        return np.exp(self.predict_log_proba(X))

    def predict_log_proba(self, X) -> np.ndarray:
        """ln of ``predict_proba`` (n, K), from the logits z^L: ln sigma(z) = -softplus(-z),
        ln softmax(z)_k = z_k - ln Σ_j e^(z_j); finite wherever z^L is. float64."""
        return self._log_probabilities(self._checked_inputs(X))

    def _log_probabilities(self, X) -> np.ndarray:
        """``predict_log_proba`` of an already validated X."""
        net = self.network_
        # (ln a, ln(1 - a)) of the output head, in log space from z^L (bprop.heads)
        log_a, log_1_minus_a = net.head.log_pq(net.forward_logits(net.inputs(X), check_finite=True).astype(np.float64))
        if net.output_activation.name == "softmax" or self._multilabel:
            return log_a
        if self._n_outputs == 1:  # binary, one sigmoid: ln(1 - sigma(z)), ln sigma(z)
            return np.hstack([log_1_minus_a, log_a])
        return softmax_log_pq(log_a)[0]  # one sigmoid per class: ln(sigma(z_k) / Σ_j sigma(z_j))

    def predict(self, X) -> np.ndarray:
        """The class labels (n,) from ``classes_`` (the most probable); multilabel: (n, L) of 0/1."""
        return self._labels(self.predict_log_proba(X))

    def _labels(self, log_proba):
        if self._multilabel:
            return (log_proba > -np.log(2.0)).astype(np.int64)  # sigma(z) > 1/2
        return self.classes_[np.argmax(log_proba, axis=1)]

    def _validated_score(self, X, y, sample_weight) -> float:
        """The (weighted) accuracy on validated X and y, as ``score``."""
        return float(accuracy_score(y, self._labels(self._log_probabilities(X)), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multilayer perceptron regressor trained by backpropagation (``bprop.Network``):
    identity outputs and the quadratic cost ½ ||a - y||², one output per target column.

    Parameters and attributes as ``MLPClassifier`` (no ``class_weight``; the
    validation score of ``early_stopping`` is R^2; ``output_activation`` defaults to
    "identity" and ``cost`` to "quadratic").
    """

    _task = "regression"
    _network_classes = None

    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over (X, y), continuing the network and its optimizer state; return self.

        ``sample_weight`` (n_samples,): weighs the rows against every row seen by the calls so
        far, as ``MLPClassifier.partial_fit`` says (w̄ over all of them, not this chunk's)."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _targets(self, y, first, classes, weights, settings):
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if first:
            self._n_outputs = n_outputs
        elif n_outputs != self._n_outputs:
            raise ValueError(f"y has {n_outputs} target columns; the regressor was fitted with {self._n_outputs}")
        y_net = y.astype(np.float64)
        if y_net.ndim == 2 and n_outputs == 1:
            y_net = y_net[:, 0]
        return y_net, settings["output"] or "identity", self.cost or "quadratic", weights

    def predict(self, X) -> np.ndarray:
        """The predicted values, (n,) for one target column, else (n, n_outputs); float64."""
        return self._values(self._forward(X))

    @staticmethod
    def _values(a):
        return a[:, 0] if a.shape[1] == 1 else a

    def _validated_score(self, X, y, sample_weight) -> float:
        """The (weighted) R^2 on validated X and y, as ``score``."""
        return float(r2_score(y, self._values(self._outputs(X)), sample_weight=sample_weight))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags
