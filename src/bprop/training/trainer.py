"""The mini-batch SGD loop (seed 004: pick a batch, forward and cost, backprop, update).

Each epoch draws a fresh permutation from the network's generator and gathers
every mini-batch into reusable buffers with ``np.take(..., out=)``, so the
dataset is never copied as a whole. The epoch's training cost and accuracy are
accumulated from the batches as they are trained (a running figure over the
epoch, as Keras reports it, with dropout active), not from a second pass; see
``scores.RunningScores``.

What the loop records per epoch (``History`` rows):
    train_cost, train_accuracy      running figures over the epoch's batches
                                    (+ the regularization term, at the epoch's end)
    val_cost, val_accuracy          on ``validation``, after the epoch
    <name>_cost, <name>_accuracy    on each set of ``monitor={"test": (x, y)}``
    grad_norm_1 .. grad_norm_L      ||dC_0/dw^l|| and ||dC/db^l|| = ||Σ_x delta^l||,
    delta_norm_1 .. delta_norm_L    means over every ``grad_norm_every``-th batch
                                    (``norms``: sampling never changes the weights)
    seconds, eta                    wall time of the epoch (training + evaluation),
                                    learning rate used

Checkpoints (``checkpoint=PATH``, see ``checkpoint``) hold everything needed to
continue exactly: weights, optimizer state, the generator's state, callbacks' state,
the history, and, when written mid-epoch, the epoch's permutation and batch position
(``loop_state``). A run resumed with ``fit(..., resume=PATH)`` ends with weights
bit-identical to an uninterrupted run at the same BLAS thread count.
During ``fit``, SIGINT (Ctrl-C) and SIGTERM finish the current batch, write the
checkpoint (when a path was given) and raise ``TrainingInterrupted``, which carries
the history and the parameters of the last finished epoch (what ``bprop train``
writes to --save and --history); a second signal stops at once (KeyboardInterrupt).
The previous signal handlers are restored afterwards (see ``signals``).

Events a user should see (divergence here; early stopping and learning-rate changes
in their callbacks) are announced with ``report(message)`` to the callbacks, which
``ProgressBar`` prints: the loop itself prints nothing.

Divergence (see ``divergence``): a training cost or parameter that becomes NaN or
inf stops ``fit`` with ``DivergenceError``; the network, the optimizer and the
generator go back to their state at the start of the epoch, and no checkpoint
holding a non-finite value is written.

Everything ``fit`` is given is checked before anything changes: the data, the
callbacks' monitored metrics (against the metrics the epoch logs will have), the
checkpoint's folder and the resumed checkpoint. A rejected call leaves the
network's weights, generator, regularizer and the optimizer as they were.
"""

from __future__ import annotations

import copy
import signal
import time

import numpy as np

from .. import optimizers, sinks, state_dicts
from ..costs import LogLikelihood
from ..validation import all_finite, are_one_hot, as_inputs, first_unsafe_parameter, flag, positive_float, positive_int
from ..weights import check_sample_weight, row_weights
from . import checkpoint as checkpoints
from .callbacks import Callback, ProgressBar
from .checkpoint import BlasThreadsWarning, blas_threads, read_checkpoint  # noqa: F401 (re-exported)
from .divergence import DivergenceError, NonFiniteValue
from .history import History
from .norms import NormSampling
from .scores import RunningScores
from .signals import SignalCatcher, TrainingInterrupted


class Trainer:
    """Runs ``epochs`` of mini-batch training of ``net`` and emits events to callbacks.

    Args:
        net: the Network.
        epochs, batch_size: positive integers.
        eta: the learning rate, positive; default None: 0.1 for plain SGD, or the
            default of the optimizer named (Adam: 0.001). An optimizer object
            carries its own rate: an ``eta`` that differs from it is refused.
        optimizer: a name ("sgd", "momentum", "nesterov", "adam") built with ``eta``,
            or an Optimizer object (default: plain SGD).
        validation: (x_val, y_val), evaluated after every epoch (val_* metrics).
        monitor: {name: (x, y)}, more sets evaluated after every epoch (name_* metrics).
        callbacks: Callback objects (schedules, EarlyStopping, ...), called in order.
        shuffle: reshuffle every epoch with the network's generator.
        verbose: show a progress bar and a line per epoch.
        checkpoint: a path to write a checkpoint to every ``checkpoint_every`` epochs
            and on interruption (a ``checkpoint.Checkpoint`` callback, run after the
            others).
        grad_norm_every: sample per-layer gradient norms every k batches (0: never;
            default: ``norms.default_norm_interval``, about 20 batches per epoch). Sampling
            reads the gradients and never changes the trained weights.
        fused: apply the optimizer's update inside the backward pass, BP3/BP4 and the update
            in one BLAS call per parameter (``sinks.FusedSGD`` for plain SGD,
            ``sinks.FusedMomentum`` for classical momentum), instead of storing the gradients
            and calling ``optimizer.step`` (``sinks.StoreGradients``). Default None: fused
            whenever the optimizer allows it (plain SGD without L1, classical momentum). The
            two routes agree to rounding; True with an optimizer that cannot fuse (Adam,
            Nesterov) is refused.
        handle_signals: catch SIGINT/SIGTERM during fit (main thread only).
        settings: JSON data stored in checkpoints (the CLI keeps its options there).

    Attributes visible to callbacks: net, optimizer, epochs, epoch, batch, batch_size,
    n_samples, n_batches, history, stop_training, interrupted, diverged; methods
    ``report(message)`` (announce an event) and ``running_scores()``.

    Raises:
        ValueError: a bad setting (here) or bad data, callbacks that monitor a
            metric the logs will not have, a checkpoint folder that does not exist
            (in ``fit``), all before anything changes.
        DivergenceError: from ``fit``, when training diverges (see ``divergence``).
    """

    def __init__(
        self,
        net,
        *,
        epochs: int,
        batch_size: int,
        eta: float | None = None,
        optimizer=None,
        validation=None,
        monitor=None,
        callbacks=(),
        shuffle: bool = True,
        verbose: bool = True,
        checkpoint=None,
        checkpoint_every: int = 1,
        grad_norm_every: int | None = None,
        fused: bool | None = None,
        handle_signals: bool = True,
        settings: dict | None = None,
    ):
        self.net = net
        self.epochs = positive_int("epochs", epochs)
        self.batch_size = positive_int("batch_size", batch_size)
        if eta is not None:
            eta = positive_float("eta", eta)
        if isinstance(optimizer, optimizers.Optimizer):
            if eta is not None and eta != optimizer.eta:
                raise ValueError(f"eta={eta:g} and the optimizer {optimizer!r} disagree on the learning rate; "
                                 f"give it once: {type(optimizer).__name__}(eta={eta:g}) without eta=, "
                                 "or leave the optimizer's rate and drop eta=")
            self.optimizer = optimizer
        else:
            name = optimizer if optimizer is not None else "sgd"
            self.optimizer = optimizers.get(name, eta)
        self.validation = validation
        if monitor is not None and not isinstance(monitor, dict):
            raise ValueError("monitor must be a dict {name: (x, y)}, e.g. {'test': (x_test, y_test)}")
        self.monitor = dict(monitor or {})
        for name in self.monitor:
            if not isinstance(name, str) or not name or name in ("train", "val"):
                raise ValueError(f"monitor names must be strings other than 'train' and 'val', got {name!r}")
        if isinstance(callbacks, Callback):
            raise ValueError(f"callbacks must be a list of Callback objects; wrap the one given: callbacks=[{callbacks!r}]")
        try:
            callbacks = list(callbacks)
        except TypeError:
            raise ValueError(f"callbacks must be a list of Callback objects, got {callbacks!r}") from None
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise ValueError(f"callbacks must be bprop Callback objects, got {callback!r}")
        self.shuffle = flag("shuffle", shuffle)
        self.checkpoint = None if checkpoint is None else str(checkpoint)
        self.checkpoint_every = positive_int("checkpoint_every", checkpoint_every)
        if self.checkpoint is not None:
            callbacks.append(checkpoints.Checkpoint(self.checkpoint, self.checkpoint_every))
        self.callbacks = ([ProgressBar()] if flag("verbose", verbose) else []) + callbacks
        if grad_norm_every is not None and (
            isinstance(grad_norm_every, bool) or not isinstance(grad_norm_every, (int, np.integer)) or grad_norm_every < 0
        ):
            raise ValueError(f"grad_norm_every must be a non-negative integer or None, got {grad_norm_every!r}")
        self.grad_norm_every = None if grad_norm_every is None else int(grad_norm_every)
        self._norms = NormSampling(self.grad_norm_every)
        self.fused = None if fused is None else flag("fused", fused)
        self.handle_signals = flag("handle_signals", handle_signals)
        if settings is not None and not isinstance(settings, dict):
            raise ValueError(f"settings must be a dict of JSON values, got {settings!r}")
        self.settings = dict(settings or {})
        self.history = History()
        self.stop_training = False
        self.interrupted = False
        self.diverged = False
        self.epoch = 0
        self.batch = 0
        self.n_batches = 0
        self.n_samples = 0
        self._order: np.ndarray | None = None
        self.penalty_n: float | None = None  # n of the regularization term, set by fit
        self.mean_weight: float | None = None  # w̄ of the weighted row factors (None: unweighted), set by fit
        self.data_digest: str | None = None  # of the data fit trains on, when it checkpoints (set by fit)
        self._totals = self._fresh_totals()
        self._scores: RunningScores | None = None
        self.sample_weight: np.ndarray | None = None  # of the data fit trains on (checked; set by fit)
        self._signals = SignalCatcher()
        self._epoch_start: dict | None = None

    # -- events ---------------------------------------------------------------------

    def _emit(self, event: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, event)(self, *args)

    def report(self, message: str) -> None:
        """Announce an event in one line (early stopping, a new eta, divergence): every
        callback's ``on_message`` gets it; ``ProgressBar`` prints it (nothing when verbose=False)."""
        self._emit("on_message", message)

    def running_scores(self) -> tuple[float | None, float | None]:
        """The epoch's running training cost and accuracy (None for regression) so far.

        The cost is the (weighted) mean of C_x over the rows scored, as ``train_cost`` is.

        They cover the batches scored up to now: the loop scores a block of rows at a time
        (``scores.RunningScores``), so they lag the training by at most one block;
        (None, None) before the epoch's first block is scored.
        """
        scores = self._scores
        if scores is None or not scores.begin:
            return None, None
        rows = scores.begin  # rows scored this epoch (from its start, also when resumed mid-epoch)
        # With sample weights the totals are Σ_x w_x C_x and Σ_x w_x [x right]: divided by the
        # weights' sum, as train_cost and train_accuracy are (None while every row so far weighs 0).
        total = rows if self.sample_weight is None else float(self.sample_weight[self._order[:rows]].sum())
        if not total > 0:
            return None, None
        accuracy = self._totals["correct"] / total if self.net.task.name != "regression" else None
        return self._totals["cost"] / total, accuracy

    def _fresh_totals(self) -> dict:
        """The running sums of the epoch in progress (saved in mid-epoch checkpoints)."""
        n_layers = len(self.net.dense_layers)
        return {"cost": 0.0, "correct": 0, "seconds": 0.0, **NormSampling.fresh_totals(n_layers)}

    # -- the loop -------------------------------------------------------------------

    def fit(self, x, y, resume=None, sample_weight=None, mean_weight=None):
        """Train on (x, y); with ``resume=PATH`` continue the run saved in that checkpoint.

        ``sample_weight``: weights w_x >= 0 (n,): training minimizes the weighted mean
        Σ w_x C_x / Σ w_x (a batch scales row x by w_x / (m w̄), w̄ the mean weight, so that
        the batches' steps average to its gradient), the regularizer's n is Σ w_x and
        train_cost is the weighted mean (``bprop.weights``); None or all ones: the plain mean.

        ``mean_weight``: w̄ when (x, y) is one part of a training set seen in parts (the
        scikit-learn estimators' ``partial_fit``): Σ w_x / (number of rows) over every part
        so far, this one included, a positive number. The rows are then scaled by
        w_x / (m w̄) (rows without ``sample_weight`` weigh 1) and the regularizer's n is
        n w̄, as on a whole set of mean weight w̄. Default None: this data's own Σ w_x / n;
        1 without ``sample_weight`` is the plain mean, bit for bit.

        Raises:
            ValueError: bad data or settings, before anything changes.
            DivergenceError: a cost or parameter became NaN or inf; the network keeps
                the parameters of the start of that epoch.
            TrainingInterrupted: SIGINT/SIGTERM.
        """
        net = self.net
        if mean_weight is not None:
            mean_weight = positive_float("mean_weight", mean_weight)
        # Validate everything before touching the network: a bad input changes nothing. The
        # classes and a preprocessing's statistics a first fit learns are kept only once
        # every check has passed.
        preprocessing = net.preprocessing
        if preprocessing is not None and not preprocessing.fitted:
            preprocessing = copy.deepcopy(preprocessing)
            # checked once: prepare below takes these (a float64 copy of x for Standardize) as they are
            x = as_inputs(x, net.n_inputs, np.float64 if preprocessing.wide_inputs else net.dtype)
            weights = check_sample_weight(sample_weight, x.shape[0])  # as the cost weighs the rows
            if weights is None:
                preprocessing.fit(x)
            else:
                preprocessing.fit(x, sample_weight=weights)
        classes = net.classes if net.classes is not None else net.task.learn_classes(y)
        target_preprocessing = net.target_preprocessing
        if target_preprocessing is not None and not target_preprocessing.fitted:
            target_preprocessing = copy.deepcopy(target_preprocessing)
            raw = net.raw_targets(y)  # the rows weighted as the cost weighs them (0: as if absent)
            target_preprocessing.fit(raw, check_sample_weight(sample_weight, raw.shape[0]))
        x, targets, labels = net.prepare(x, y, classes, preprocessing, target_preprocessing)
        weights = check_sample_weight(sample_weight, x.shape[0])
        if weights is None and mean_weight is not None and mean_weight != 1:
            weights = np.ones(x.shape[0])  # rows of weight 1 in a set of mean weight w̄
        sets = []
        if self.validation is not None:
            sets.append(("val", self._prepare_pair(self.validation, "validation", classes, preprocessing,
                                                   target_preprocessing)))
        for name, pair in self.monitor.items():
            sets.append((name, self._prepare_pair(pair, f"monitor[{name!r}]", classes, preprocessing,
                                                  target_preprocessing)))
        self._check_callbacks(self._metric_names(sets, target_preprocessing))  # (the checkpoint's folder and settings too)
        if resume is None:  # (resuming replaces the optimizer by the checkpoint's)
            self.optimizer.check_parameters([param for param, _ in net.trainable_parameters()])
        self._fused_sink(x.shape[0])  # fused=True with an optimizer that cannot fuse: refused here

        n = x.shape[0]
        batch_size = min(self.batch_size, n)
        self.n_samples, self.n_batches = n, -(-n // batch_size)
        self.sample_weight = weights
        callback_state = None
        if resume is not None or any(isinstance(callback, checkpoints.Checkpoint) for callback in self.callbacks):
            # what a checkpoint is resumed on must be what it was written on (``checkpoint.data_digest``)
            self.data_digest = checkpoints.data_digest(
                [x, targets, weights, *(item for name, (x_set, t_set, _, _) in sets for item in (name, x_set, t_set)),
                 *([] if weights is None or mean_weight is None else [np.float64(mean_weight)])])
        if resume is not None:
            callback_state = checkpoints.restore(self, resume, n)  # checked completely before it changes anything
        net.classes, net.preprocessing, net.target_preprocessing = classes, preprocessing, target_preprocessing
        # seed 002: lambda / n with n the training-set size (weighted: Σ w_x). Training state:
        # the regularizer records it once an epoch has trained with it (``regularizer.n``).
        # w̄ = Σ w_x / n: a weighted batch scales row x by w_x / (m w̄) (``weights.row_weights``), so
        # that the batches' steps average to the weighted mean's gradient; a part of a larger set
        # (mean_weight given) takes that set's w̄, and n w̄ as its n.
        if weights is None or mean_weight is None:
            self.penalty_n = n if weights is None else float(weights.sum())
            self.mean_weight = None if weights is None else self.penalty_n / n
        else:
            self.penalty_n, self.mean_weight = n * mean_weight, mean_weight
        x_buffer = np.empty((batch_size, x.shape[1]), dtype=x.dtype)
        t_buffer = np.empty((batch_size, targets.shape[1]), dtype=targets.dtype)
        # class labels given: the cost read from the labels, and BP1 without the targets
        one_hot = labels is not None and labels.ndim == 1 and are_one_hot(targets, labels)
        self._scores = RunningScores(net, targets, labels, batch_size, one_hot, weights)

        self._emit("on_train_begin")
        if callback_state is not None:
            checkpoints.load_callback_states(self, callback_state)
        self._signals.pending = None
        if self.handle_signals:
            self._signals.install()
        try:
            while self.epoch < self.epochs and not self.stop_training:
                epoch = self.epoch
                # the last finite state: put back if the epoch diverges, saved on an interruption
                snapshot = self._epoch_start = self._snapshot()
                self._emit("on_epoch_begin", epoch)
                started = time.perf_counter()
                if self.batch == 0:
                    self._totals = self._fresh_totals()
                    self._order = net.rng.permutation(n) if self.shuffle else np.arange(n)
                self._scores.start(self._order, self.batch * batch_size)
                try:
                    # NaN and inf are caught by these checks (DivergenceError), not by NumPy's warnings.
                    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                        self._run_batches(x, targets, labels if one_hot else None, batch_size, x_buffer, t_buffer,
                                          started)
                        self._scores.flush(self._totals)
                        self._check_parameters()
                        logs = self._epoch_logs(n, sets, started)
                    for key, value in logs.items():
                        if key.endswith("_cost") and not np.isfinite(value):
                            raise NonFiniteValue(f"the {key.replace('_', ' ')}", float(value),
                                                 cause=None if key == "train_cost" else self._data_cause(key, x))
                except NonFiniteValue as bad:
                    raise self._diverged(bad, snapshot) from None
                self._emit("on_epoch_end", epoch, logs)
                self.history.append(logs)
                if net.regularizer is not None:
                    net.regularizer.n = self.penalty_n  # the weights now hold training with this n
                self.epoch, self.batch = epoch + 1, 0
                self._order = None
                self._emit("on_epoch_recorded", epoch)  # (the checkpoint is written here)
                if self.epoch < self.epochs and not self.stop_training:  # a signal after the last epoch: the run is done
                    self._check_interrupt()
        finally:
            self._signals.restore()
            net.clear_caches()
            self._scores = None
            self._emit("on_train_end")
        return self.history

    # -- checks before training ----------------------------------------------------

    def _metric_names(self, sets, target_preprocessing=None) -> set[str]:
        """The names the epoch logs will have (for the callbacks' monitors), found
        without changing anything: the metrics of the validation and monitored sets are
        those ``evaluate`` gives, here on one sample."""
        net = self.net
        names = {"epoch", "eta", "seconds", "train_cost"}
        if net.task.name != "regression":
            names.add("train_accuracy")
        if sets:
            x, targets, labels, raw = sets[0][1]
            one = net.evaluate_prepared(x[:1], targets[:1], None if labels is None else labels[:1],
                                        target_preprocessing=target_preprocessing,
                                        raw_targets=None if raw is None else raw[:1])
            names.update(f"{name}_{key}" for name, _ in sets for key in one)
        names.update(self._norms.metric_names(len(self.net.dense_layers)))
        for callback in self.callbacks:
            names.update(getattr(callback, "provides", ()))
        return names

    def _check_callbacks(self, metrics: set[str]) -> None:
        for callback in self.callbacks:
            callback.check(self, metrics)

    def _prepare_pair(self, pair, label, classes, preprocessing, target_preprocessing=None):
        """(x, targets, labels, raw) of a validation or monitored set, as ``Network.prepare``
        gives them, with ``raw`` the regression targets as given, in float64 (else None):
        its mse, mae and r2 compare with those, as ``Network.evaluate``'s do."""
        try:
            x_set, y_set = pair
        except (TypeError, ValueError):
            raise ValueError(f"{label} must be a pair (x, y)") from None
        try:
            prepared = self.net.prepare(x_set, y_set, classes, preprocessing, target_preprocessing)
            raw = self.net.raw_targets(y_set) if self.net.task.name == "regression" else None
        except ValueError as error:  # say which set: "x contains NaN" alone reads as the training data
            raise ValueError(f"{label}: {error}") from None
        return (*prepared, raw)

    def _fused_sink(self, penalty_n):
        """The sink that applies the optimizer's update inside backward (``fused``), or None to
        store the gradients; made again whenever the optimizer's eta changes (a schedule, or a
        callback per batch) where the sink holds its own copy of eta."""
        sink = None
        if self.fused is not False:
            params = [param for param, _ in self.net.trainable_parameters()]
            sink = self.optimizer.fused_sink(self.net.regularizer, penalty_n, params)
        if sink is None and self.fused:
            raise ValueError(f"fused=True needs plain SGD (without an L1 penalty) or classical momentum; "
                             f"{self.optimizer!r} with regularizer {self.net.regularizer!r} stores its gradients "
                             f"(fused=None or False)")
        return sink

    def _run_batches(self, x, targets, one_hot_labels, batch_size, x_buffer, t_buffer, started) -> None:
        """One epoch's batches from ``self.batch`` on. ``one_hot_labels``: the labels (n,) when
        every target row is one-hot (else None)."""
        net, optimizer, scores = self.net, self.optimizer, self._scores
        totals, order = self._totals, self._order
        dense = net.dense_layers
        n = x.shape[0]
        # Softmax + log-likelihood with one-hot targets: BP1 reads each row's label as a flat
        # index into the batch's (m, n_L) delta (OutputHead.delta) instead of gathering targets.
        target_index = None
        if one_hot_labels is not None and net.head.fused and isinstance(net.cost, LogLikelihood):
            target_index = one_hot_labels[order] + (np.arange(n) % batch_size) * net.n_outputs
        # The sink of the backward pass: plain SGD applied inside backward, BP3/BP4 fused with
        # the step, or the gradients stored for the optimizer (with the regularizer's term).
        # Sampling the norms wraps it and never changes its arithmetic.
        penalty_n = self.penalty_n
        fused = self._fused_sink(penalty_n)
        sink = fused or sinks.StoreGradients(net.regularizer, penalty_n if net.regularizer is not None else None)
        norms = self._norms
        norms.start_epoch(self.n_batches, batch_size, dense, fused=fused is not None)
        every = norms.every
        weights, mean_weight = self.sample_weight, self.mean_weight  # (w̄: set by fit)
        # One view of the buffers per batch size (the last batch may be shorter), so the
        # layers' plans stay bound to the same arrays batch after batch (layers.dense).
        views: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for batch in range(self.batch, self.n_batches):
            index = order[batch * batch_size : (batch + 1) * batch_size]
            m = index.shape[0]
            view = views.get(m)
            if view is None:
                view = views[m] = (x_buffer[:m], t_buffer[:m])
            xb, tb = view
            # mode="clip": the indices come from a permutation, so never out of range, and
            # NumPy's default mode="raise" with out= gathers through a temporary (3x slower).
            x.take(index, axis=0, out=xb, mode="clip")
            if target_index is None:
                targets.take(index, axis=0, out=tb, mode="clip")
                batch_index = None
            else:
                batch_index = target_index[batch * batch_size : batch * batch_size + m]
            batch_weights = None if weights is None else row_weights(weights[index], x.dtype, mean_weight)
            if fused is not None and optimizer.eta != fused.eta:  # a callback changed eta: the step follows
                sink = fused = self._fused_sink(penalty_n)
            if every and batch % every == 0:  # sampled: the same sink, wrapped to read the norms
                z = net.backprop_prepared(xb, tb, norms.wrap(sink), target_index=batch_index, row_weights=batch_weights)
                norms.add(totals)
            else:
                z = net.backprop_prepared(xb, tb, sink, target_index=batch_index, row_weights=batch_weights)
            if fused is None:
                optimizer.step(net.trainable_parameters())
            scores.add(z, totals)  # scored a block at a time (see scores.RunningScores)
            self.batch = batch + 1
            try:
                self._emit("on_batch_end", batch, self.n_batches)
            except KeyboardInterrupt:
                if self._signals.pending is not None:  # a second signal, arrived during a callback: stop at once
                    raise
                self._signals.pending = signal.SIGINT
            if self._signals.pending is not None:
                totals["seconds"] += time.perf_counter() - started
                self._check_interrupt()

    # -- divergence -----------------------------------------------------------------

    def _snapshot(self) -> dict:
        """Copies of what an epoch changes: parameters, optimizer state, generator, position."""
        return {
            "params": [param.copy() for param, _ in self.net.trainable_parameters()],
            "optimizer": state_dicts.copy(self.optimizer.state_dict()),
            "rng": self.net.rng.bit_generator.state,
            "batch": self.batch,
            "order": self._order,
            "totals": copy.deepcopy(self._totals),
        }

    def _check_parameters(self, batch: int | None = None) -> None:
        """Raise NonFiniteValue when a weight or bias holds NaN, inf or a magnitude past
        sqrt(finfo.max) (which no model file or checkpoint may hold: ``validation.first_unsafe_parameter``),
        or the optimizer's state holds NaN or inf (one pass per array); ``batch``: the 0-based
        batch just trained, when known.

        The optimizer's state can overflow while the weights stay finite: Adam's v, a mean of
        g², is inf in float32 once |g| passes 1.8e19, and then its steps m / sqrt(v) are 0.
        Left alone, that state could be neither checkpointed nor put back after a later
        divergence; caught here, the epoch is rolled back like any other divergence."""
        found = first_unsafe_parameter(self.net)
        if found is not None:
            name, value = found
            if np.isfinite(value):  # finite, but past what a forward pass (and a model file) can take
                dtype = self.net.dtype
                name += f", grown past sqrt({dtype.name}'s largest number) = {state_dicts.parameter_bound(dtype):.3g},"
            raise NonFiniteValue(name, value, batch=batch)
        for key, value in self.optimizer.state_dict().items():
            value = np.asarray(value)
            if np.issubdtype(value.dtype, np.floating) and not all_finite(value):
                bad = float(value[~np.isfinite(value)].flat[0])
                raise NonFiniteValue(
                    f"the {self.optimizer.name} optimizer's state {key}", bad, batch=batch,
                    cause=f"The weights are finite, but the gradients' running statistics overflowed {value.dtype}: "
                          "the gradients are huge, which inputs or targets far from 0 cause; scale them "
                          "(preprocessing='standardize', or bprop train's --scale standardize).")

    def _data_cause(self, key: str, x: np.ndarray) -> str | None:
        """The likely cause of a non-finite cost on a scored set while every weight is finite:
        that set's data, unless the training rows ``x`` overflow z^L as well (the last steps made
        the weights huge, which the costs of the batches, scored before their steps, did not
        show yet); then None, the learning rate's hint."""
        if not all_finite(self.net.forward_logits(x[: self.batch_size])):
            return None
        name = key[: -len("_cost")]
        label = "validation" if name == "val" else f"monitor[{name!r}]"
        return (f"The weights and the training cost are finite, so the {label} data is the likely cause: "
                "inputs so large that z^L overflows; scale them as the training inputs are.")

    def _diverged(self, bad: NonFiniteValue, snapshot: dict) -> DivergenceError:
        """Put back the epoch's starting state; the error to raise."""
        eta = self.optimizer.eta  # the rate in use (a schedule may have changed it this epoch)
        for (param, _), saved in zip(self.net.trainable_parameters(), snapshot["params"]):
            param[...] = saved  # in place: the arrays the bound steps hold stay the same
        self.optimizer.load_state_dict(snapshot["optimizer"])
        self.net.rng.bit_generator.state = snapshot["rng"]
        self.batch, self._order, self._totals = snapshot["batch"], snapshot["order"], snapshot["totals"]
        self.diverged = True
        epoch = self.epoch + 1
        if snapshot["batch"]:
            restored = f"the parameters it had before batch {snapshot['batch'] + 1} of epoch {epoch} (where it resumed)"
        else:
            restored = f"the parameters it had at the start of epoch {epoch} (the last finite ones)"
        note = ""
        if self.checkpoint:
            note = f"; the checkpoint {self.checkpoint} was not written for this epoch"
        where = f"epoch {epoch}" + ("" if bad.batch is None else f", batch {bad.batch + 1} of {self.n_batches}")
        self.report(f"diverged in {where}: {bad.quantity} is {bad.value}; the weights went back to the start of "
                    f"epoch {epoch}" + (" (where it resumed)" if snapshot["batch"] else ""))
        return DivergenceError(
            epoch=epoch, batch=None if bad.batch is None else bad.batch + 1, n_batches=self.n_batches,
            quantity=bad.quantity, value=bad.value, eta=eta, optimizer=self.optimizer.name,
            restored=restored, checkpoint=note, history=self.history, cause=bad.cause)

    def _epoch_logs(self, n, sets, started) -> dict:
        net, totals = self.net, self._totals
        self._scores.flush(totals)
        # weighted: Σ_x w_x C_x / Σ_x w_x and Σ_x w_x [x right] / Σ_x w_x (as ``evaluate``)
        total = n if self.sample_weight is None else float(self.sample_weight.sum())
        train_cost = totals["cost"] / total
        if net.regularizer is not None:
            train_cost += net.penalty(self.penalty_n)
        logs = {"epoch": self.epoch + 1, "train_cost": train_cost}
        if net.task.name != "regression":
            logs["train_accuracy"] = totals["correct"] / total
        for name, (x_set, t_set, labels, raw) in sets:
            for metric, value in net.evaluate_prepared(x_set, t_set, labels, penalty_n=self.penalty_n,
                                                       raw_targets=raw).items():
                logs[f"{name}_{metric}"] = value
        logs.update(NormSampling.logs(totals))
        logs["eta"] = self.optimizer.eta
        logs["seconds"] = totals["seconds"] + time.perf_counter() - started
        return logs

    # -- interruption ---------------------------------------------------------------

    def _check_interrupt(self) -> None:
        """After a batch or an epoch: when a signal is pending, tell the callbacks
        (``on_interrupt``: the checkpoint is written) and raise TrainingInterrupted."""
        signum = self._signals.take()
        if signum is None:
            return
        self.interrupted = True
        if self._scores is not None:
            self._scores.flush(self._totals)  # the totals a mid-epoch checkpoint saves
        self._emit("on_interrupt", signum)
        raise TrainingInterrupted(self.epoch, self.batch, self.checkpoint, signum, history=self.history,
                                  finished_params=self._finished_params())

    def _finished_params(self) -> list | None:
        """Copies of the parameters after the last finished epoch, or None (see TrainingInterrupted)."""
        if self.epoch == 0:
            return None
        if self.batch == 0:  # stopped between epochs: the parameters are those of the epoch just ended
            return [param.copy() for param, _ in self.net.trainable_parameters()]
        start = self._epoch_start
        return None if start is None or start["batch"] else [param.copy() for param in start["params"]]

    # -- the loop's state (for checkpoints) ----------------------------------------

    def loop_state(self) -> dict:
        """Where the run is, as a checkpoint saves it (shared, not copied): epoch (finished
        epochs), batch (batches of the current epoch done; 0 between epochs), order (the
        epoch's sample order when mid-epoch, else None), totals (the epoch's running sums),
        history (the finished epochs' rows), stop_training."""
        mid_epoch = self._order is not None and self.batch > 0
        return {"epoch": self.epoch, "batch": self.batch if self._order is not None else 0,
                "order": self._order if mid_epoch else None, "totals": self._totals,
                "history": self.history.epochs, "stop_training": self.stop_training}

    def load_loop_state(self, state: dict) -> None:
        """Continue from a ``loop_state`` (checked by the caller: ``checkpoint.check_checkpoint``)."""
        self.epoch, self.batch = state["epoch"], state["batch"]
        self._order = np.array(state["order"], dtype=np.int64) if state["batch"] else None
        self._totals = state["totals"] if state["batch"] else self._fresh_totals()
        self.history = History(state["history"])
        self.stop_training = state["stop_training"]

    def save_checkpoint(self, path) -> None:
        """Write everything needed to continue this run exactly (atomic, no pickle); see
        ``checkpoint.save_checkpoint``.

        Raises:
            ValueError: a parameter or optimizer state holds NaN or inf (nothing is written).
        """
        checkpoints.save_checkpoint(self, path)
