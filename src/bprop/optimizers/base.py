"""The optimizer protocol and registry."""

from __future__ import annotations

import numpy as np

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

    def fused_step(self, regularizer, n: int):
        """A ``kernels.SGDStep`` when this update can be applied inside backward
        (plain SGD), else None: the trainer then stores gradients and calls ``step``."""
        return None

    def state_dict(self) -> dict[str, np.ndarray]:
        """Arrays (and scalars as 0-d arrays) needed to resume exactly."""
        return {"eta": np.array(self.eta)}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.eta = float(state["eta"])

    def config(self) -> dict:
        return {"name": self.name, "eta": self.eta}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(eta={self.eta:g})"


OPTIMIZERS = Registry("optimizer", Optimizer)


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
