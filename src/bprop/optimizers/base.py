"""The optimizer protocol and registry."""

from __future__ import annotations

import numpy as np

from .. import state_dicts
from ..registry import Registry


class Optimizer:
    """Updates parameters in place from their gradients.

    ``step(pairs)`` receives the network's (parameter, gradient) pairs in a fixed
    order; per-parameter state (velocities, moments) is kept by position.
    ``eta`` is the learning rate; schedules may change it between epochs.
    """

    name: str = ""

    def __init__(self, eta: float = 0.1):
        from ..validation import positive_float

        self.eta = positive_float("eta", eta)

    def step(self, pairs: list[tuple[np.ndarray, np.ndarray]]) -> None:
        raise NotImplementedError

    def parameter_state(self) -> list[np.ndarray]:
        """The per-parameter state arrays (velocities, moments), by position; [] before
        the first step or for a stateless rule."""
        return []

    def check_parameters(self, params: list[np.ndarray]) -> None:
        """Raise ValueError when this optimizer's per-parameter state was made for other
        parameters (e.g. one optimizer object reused for a second network); called by
        ``Trainer.fit`` before training."""
        state = self.parameter_state()
        if state and [s.shape for s in state] != [p.shape for p in params]:
            raise ValueError(f"this {self!r} holds state for parameters of shapes {[s.shape for s in state]}, "
                             f"but the network's are {[p.shape for p in params]}: give each network its own "
                             f"optimizer, e.g. {type(self).__name__}(eta={self.eta:g})")

    def fused_sink(self, regularizer, n, params):
        """A sink (``bprop.sinks``) that applies this update inside backward, BP3/BP4 fused with
        it, or None when the update needs the stored gradients (the trainer then stores them
        and calls ``step``). ``params``: the network's trainable parameters, in ``step``'s order."""
        return None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Arrays needed to resume exactly: the ``state_scalars`` as 0-d arrays, the
        per-parameter arrays numbered by position (v0, v1, ...; see ``bprop.state_dicts``)."""
        return {"eta": np.array(self.eta)}

    #: The scalar entries of ``state_dict`` and their checks (subclasses extend it; the
    #: specs of ``bprop.state_dicts.scalar``).
    state_scalars: dict = {"eta": ("number", 0.0, None)}
    #: The prefixes of per-parameter arrays in ``state_dict`` ("v" for v0, v1, ...).
    state_array_prefixes: tuple[str, ...] = ()

    def check_state(self, state: dict[str, np.ndarray], params=None) -> dict:
        """Validate a ``state_dict`` (from a checkpoint) without changing anything.

        Args:
            state: name -> array, as ``state_dict`` gives it.
            params: the parameters this optimizer will update (arrays, in order);
                when given, per-parameter arrays must match their shapes and dtypes.

        Returns:
            {"scalars": {name: value}, "arrays": {prefix: [arrays]}}, for ``load_state_dict``.

        Raises:
            ValueError: an unknown or missing entry, a scalar out of range (eta > 0
                and finite, ...), per-parameter arrays that are not numbered 0..k-1,
                or do not match ``params``, or hold NaN or inf.
        """
        return check_optimizer_state(self, state, params)

    def load_state_dict(self, state: dict[str, np.ndarray], params=None) -> None:
        """Restore a ``state_dict``; checked completely first (``check_state``), so a bad one changes nothing."""
        checked = self.check_state(state, params)
        self.apply_state(checked)

    def apply_state(self, checked: dict) -> None:
        """Set the state ``check_state`` returned (subclasses add their arrays)."""
        for name, value in checked["scalars"].items():
            setattr(self, name, value)

    def config(self) -> dict:
        return {"name": self.name, "eta": self.eta}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(eta={self.eta:g})"


OPTIMIZERS = Registry("optimizer", Optimizer)


def check_optimizer_state(optimizer: Optimizer, state, params=None) -> dict:
    """The checks of ``Optimizer.check_state``, driven by the class's ``state_scalars`` and
    ``state_array_prefixes`` (``state_dicts.check``)."""
    return state_dicts.check(state, scalars=optimizer.state_scalars, numbered_prefixes=optimizer.state_array_prefixes,
                            params=params, what="optimizer state", owner=type(optimizer).__name__)


def get(optimizer, eta: float | None) -> Optimizer:
    """An optimizer object from a name (built with ``eta``; None: the optimizer's
    default rate) or an optimizer itself."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    name = OPTIMIZERS.canonical(optimizer)
    factory = OPTIMIZERS._factories[name]
    return factory() if eta is None else factory(eta=eta)


def from_config(config: dict) -> Optimizer:
    """Rebuild an optimizer from its ``config()`` (used when resuming a checkpoint)."""
    options = dict(config)
    try:
        name = OPTIMIZERS.canonical(options.pop("name"))
    except KeyError:
        raise ValueError("an optimizer config needs a 'name'") from None
    if name == "nesterov":
        options.pop("nesterov", None)
    try:
        return OPTIMIZERS._factories[name](**options)
    except TypeError as error:
        raise ValueError(f"bad {name} optimizer config {config!r}: {error}") from None
