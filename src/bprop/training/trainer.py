"""The mini-batch SGD loop (seed 004: pick a batch, forward and cost, backprop, update).

Each epoch draws a fresh permutation from the network's generator and gathers
every mini-batch into reusable buffers with ``np.take(..., out=)``, so the
dataset is never copied as a whole. The epoch's training cost and accuracy are
accumulated from the batches as they are trained (a running figure over the
epoch, as Keras reports it), not from a second pass over the data.
"""

from __future__ import annotations

import time

import numpy as np

from .. import optimizers
from ..validation import positive_float, positive_int
from .callbacks import Callback, ProgressBar
from .history import History


class Trainer:
    """Runs ``epochs`` of mini-batch training of ``net`` and emits events to callbacks.

    Attributes visible to callbacks: net, optimizer, epochs, epoch, batch_size,
    n_batches, history, stop_training.
    """

    def __init__(
        self,
        net,
        *,
        epochs: int,
        batch_size: int,
        eta: float,
        optimizer=None,
        validation=None,
        callbacks=(),
        shuffle: bool = True,
        verbose: bool = True,
    ):
        self.net = net
        self.epochs = positive_int("epochs", epochs)
        self.batch_size = positive_int("batch_size", batch_size)
        eta = positive_float("eta", eta)
        self.optimizer = optimizers.get(optimizer if optimizer is not None else "sgd", eta)
        self.validation = validation
        callbacks = list(callbacks)
        for callback in callbacks:
            if not isinstance(callback, Callback):
                raise ValueError(f"callbacks must be bprop Callback objects, got {callback!r}")
        self.callbacks = ([ProgressBar()] if verbose else []) + callbacks
        self.shuffle = bool(shuffle)
        self.history = History()
        self.stop_training = False
        self.epoch = 0
        self.n_batches = 0

    def _emit(self, event: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, event)(self, *args)

    def fit(self, x, y) -> History:
        net = self.net
        # Validate all data before touching the network: a bad input changes nothing.
        x, targets, labels = net.prepare(x, y)
        validation = None
        if self.validation is not None:
            try:
                x_val, y_val = self.validation
            except (TypeError, ValueError):
                raise ValueError("validation must be a pair (x_val, y_val)") from None
            validation = net.prepare(x_val, y_val)

        n = x.shape[0]
        batch_size = min(self.batch_size, n)
        self.n_batches = -(-n // batch_size)
        x_buffer = np.empty((batch_size, x.shape[1]), dtype=x.dtype)
        t_buffer = np.empty((batch_size, targets.shape[1]), dtype=targets.dtype)
        order = np.arange(n)

        self._emit("on_train_begin")
        try:
            for epoch in range(self.epochs):
                self.epoch = epoch
                self._emit("on_epoch_begin", epoch)
                started = time.perf_counter()
                if self.shuffle:
                    order = net.rng.permutation(n)
                logs = self._run_epoch(x, targets, labels, order, batch_size, x_buffer, t_buffer)
                if validation is not None:
                    scores = net._evaluate_prepared(*validation)
                    logs["val_cost"], logs["val_accuracy"] = scores["cost"], scores["accuracy"]
                logs["seconds"] = time.perf_counter() - started
                logs = {"epoch": epoch + 1, **logs}
                self._emit("on_epoch_end", epoch, logs)
                self.history.append(logs)
                if self.stop_training:
                    break
        finally:
            net.clear_caches()
            self._emit("on_train_end")
        return self.history

    def _run_epoch(self, x, targets, labels, order, batch_size, x_buffer, t_buffer) -> dict:
        net, optimizer, cost = self.net, self.optimizer, self.net.cost
        n = x.shape[0]
        total_cost = 0.0
        correct = 0
        for batch, start in enumerate(range(0, n, batch_size)):
            index = order[start : start + batch_size]
            m = index.shape[0]
            xb = np.take(x, index, axis=0, out=x_buffer[:m])
            tb = np.take(targets, index, axis=0, out=t_buffer[:m])
            a = net._backprop(xb, tb)
            total_cost += cost.value(a, tb) * m
            correct += int(np.count_nonzero(net.labels_from_outputs(a) == labels[index]))
            optimizer.step(net.trainable_parameters())
            self._emit("on_batch_end", batch, self.n_batches)
        return {"train_cost": total_cost / n, "train_accuracy": correct / n}
