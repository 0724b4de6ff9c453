"""Divergence: training whose cost or parameters stop being finite numbers.

With a learning rate far too large (``eta=1e30``) the first updates throw the
weights to +-inf, the outputs become NaN, and every later number is NaN. The
trainer stops at the first sign of it, instead of running on and writing NaN
models and checkpoints:

- the training cost of each batch: a NaN or inf a^L makes the epoch's running
  cost sum non-finite; ``scores.RunningScores`` sums it a block of batches at a
  time anyway, so the test costs one float comparison per block, nothing per
  batch, and a non-finite block is rescored batch by batch to name the batch;
- every parameter at the end of each epoch and before each checkpoint (one
  BLAS ``asum`` per array, ``validation.all_finite``): weights can become
  non-finite while the outputs a batch was scored on were still finite;
- the costs of the epoch's logs (training cost with the penalty, validation
  and monitored sets).

Then the trainer puts back the network's parameters, the optimizer's state and
the generator's state as they were at the start of the epoch (the last finite
ones; with a checkpoint written every epoch, what that checkpoint holds) and
raises ``DivergenceError``.
"""

from __future__ import annotations

#: A usual first learning rate for each optimizer (the hint of the error message).
TYPICAL_ETA = {"sgd": 0.1, "momentum": 0.01, "nesterov": 0.01, "adam": 0.001}


class NonFiniteValue(ArithmeticError):
    """A training quantity is NaN or inf (raised inside the loop; ``Trainer.fit``
    turns it into ``DivergenceError``).

    Attributes:
        quantity: what it is, e.g. "the training cost" or "w^2 (net.weights[1])".
        value: the offending value (a float: nan, inf or -inf).
        batch: 0-based index of the batch in the epoch, or None when unknown.
        cause: the likely cause in words, when it is not the learning rate.
    """

    def __init__(self, quantity: str, value: float, batch: int | None = None, cause: str | None = None):
        self.quantity, self.value, self.batch, self.cause = quantity, value, batch, cause
        super().__init__(f"{quantity} is {value}")


class DivergenceError(ArithmeticError):
    """Training diverged: a cost or a parameter became NaN or inf.

    ``fit`` raised it at once; the network holds the parameters it had at the start
    of the epoch (``restored`` says so), and no model or checkpoint with a
    non-finite value was written. The CLI (``bprop train``) exits with status 1.

    Attributes:
        epoch: the epoch (1-based, as printed).
        batch: the batch (1-based) whose cost was first non-finite (or, for a
            parameter seen at an interruption, the batch just trained); None when
            only the end-of-epoch checks saw it (a parameter, a validation cost).
        n_batches: batches per epoch.
        quantity, value: what was not finite and its value (nan, inf).
        eta: the learning rate in use.
        restored: which weights the network kept, in words.
        history: the History of the epochs completed before.
    """

    def __init__(self, *, epoch: int, batch: int | None, n_batches: int, quantity: str, value: float,
                 eta: float, optimizer: str, restored: str, checkpoint: str = "", history=None,
                 cause: str | None = None):
        self.epoch, self.batch, self.n_batches = epoch, batch, n_batches
        self.quantity, self.value, self.eta = quantity, value, eta
        self.restored, self.history = restored, history
        where = f"epoch {epoch}, batch {batch} of {n_batches}" if batch is not None else f"epoch {epoch}"
        message = (f"training diverged in {where}: {quantity} is {value}. {cause or likely_cause(eta, optimizer)} "
                   f"The network keeps {restored}; nothing non-finite was saved{checkpoint}.")
        super().__init__(message)


def likely_cause(eta: float, optimizer: str) -> str:
    """The usual reason and what to try: the learning rate first."""
    typical = TYPICAL_ETA.get(optimizer, 0.1)
    if eta > typical:
        return (f"The learning rate {eta:g} is probably too large; try {typical:g} "
                f"(a usual first value for {optimizer or 'this optimizer'}) or smaller.")
    return (f"The learning rate {eta:g} may still be too large for this data: try {eta / 10:g}; also check "
            "that the inputs are scaled (e.g. pixels divided by 255) and that the cost suits the output layer.")
