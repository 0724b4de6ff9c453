"""Checkpoints: everything needed to continue a run exactly, in one file.

``Trainer(..., checkpoint=PATH, checkpoint_every=k)`` adds a ``Checkpoint`` callback that
writes PATH every k epochs, after the run's last epoch, when a callback stops training,
and when training is interrupted (SIGINT/SIGTERM, see ``signals``). ``fit(...,
resume=PATH)`` reads one back (``restore``): the resumed run ends with weights
bit-identical to an uninterrupted run at the same BLAS thread count, which the
checkpoint records (``blas_threads``; resuming under another count warns with
``BlasThreadsWarning``).

A checkpoint is a bprop file of kind "checkpoint" (``bprop.io``), the run's state dict
(``bprop.state_dicts``) under these names:

    param{i}.{name}   the parameters of layer i ("weights", "biases")
    opt.{key}         the optimizer's ``state_dict`` (scalars as 0-d arrays; v0, m0, ...)
    cb{j}.{key}       the arrays of the j-th stateful callback (early stopping's best weights)
    order             the epoch's sample order, when written mid-epoch

and a JSON config (``CHECKPOINT_FIELDS``): the model's and the optimizer's configs, the
generator's state, the position (epoch, batch), the epoch's running totals, the
history, the stateful callbacks' classes and JSON states, the settings the CLI keeps
there, and the BLAS thread count.

Every checkpoint is untrusted: ``restore`` checks all of it against the run (the same
network, batch size, shuffle, optimizer kind, stateful callbacks, data) before it
changes anything, and a rejected file raises ``bprop.io.FileFormatError`` naming it.
No checkpoint holding NaN or inf is written.
"""

from __future__ import annotations

import hashlib
import json
import warnings

import numpy as np

from .. import optimizers, state_dicts
from ..io import FileFormatError, check_writable, load_arrays, save_arrays
from ..schema import Field, boolean, check_fields, choice, integer, list_of, number, optional, short, string
from ..validation import all_finite, first_unsafe_parameter, positive_int
from .callbacks import Callback
from .divergence import NonFiniteValue

CHECKPOINT_KIND = "checkpoint"
CHECKPOINT_VERSION = 1

#: A checkpoint's parameter arrays are param{i}.weights, param{i}.biases (``state_dicts.parameters``).
PARAMETER_PREFIX = "param"
#: The optimizer's state dict is under opt.
OPTIMIZER_PREFIX = "opt."
#: The mid-epoch sample order.
ORDER = "order"


def callback_prefix(index: int) -> str:
    """The prefix of the arrays of the index-th stateful callback: cb0., cb1., ..."""
    return f"cb{index}."


class BlasThreadsWarning(RuntimeWarning):
    """A checkpoint is resumed under another BLAS thread count than it was written with."""


def blas_threads() -> int | None:
    """The number of threads of the BLAS NumPy calls (threadpoolctl; the largest when several
    BLAS libraries are loaded), or None when it cannot be told.

    Bit-identity holds at a fixed count: a BLAS splits a matrix product across its threads,
    and another split sums in another order (different last bits).
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [info.get("num_threads") for info in threadpool_info() if info.get("user_api") == "blas"]
    counts = [count for count in counts if isinstance(count, int) and count > 0]
    return max(counts) if counts else None


class OtherDataError(FileFormatError):
    """``fit(resume=PATH)`` on other data than the checkpoint was written on (its
    ``data_digest`` differs): the resumed run would not end where the uninterrupted one
    does. A ``FileFormatError`` naming the checkpoint; ``bprop train --resume`` catches it
    to name the data files instead of x, y and sample_weight."""


def data_digest(arrays) -> str:
    """SHA-256 of the data a run trains on, as hex: each array's dtype, shape and bytes in
    order (None for an absent one, e.g. no sample weights; a str, such as a monitored set's
    name, as its text: the same arrays under other names would file one set's figures under
    another's name in the resumed history).

    ``Trainer.fit`` takes it of the prepared training inputs and targets, the sample
    weights, and the validation and monitored sets, when it writes or resumes a
    checkpoint (about 80 ms for MNIST's 50,000 float32 images): a run resumed on other
    data, or other weights, would not end where the uninterrupted run does, so
    ``restore`` refuses it.
    """
    digest = hashlib.sha256()
    for array in arrays:
        if array is None:
            digest.update(b"none;")
            continue
        if isinstance(array, str):
            digest.update(f"name {len(array)}:{array};".encode())
            continue
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()


def read_checkpoint(path) -> dict:
    """The JSON part of a checkpoint: model config, epoch, history, settings, ..."""
    return load_arrays(path, kind=CHECKPOINT_KIND)[1]


class Checkpoint(Callback):
    """Writes the trainer's checkpoint to ``path`` every ``every`` epochs, after the last
    epoch, when a callback stops training, and on an interruption (before
    ``TrainingInterrupted`` is raised). ``Trainer`` adds it for ``checkpoint=PATH``, after
    every other callback, so that their checks run first.

    Raises:
        ValueError: ``every`` is not a positive integer; from ``check``, before training:
            the checkpoint's folder does not exist or cannot be written, or the trainer's
            ``settings`` are not JSON.
    """

    def __init__(self, path: str, every: int = 1):
        self.path = str(path)
        self.every = positive_int("every", every)

    def check(self, trainer, metrics):
        check_writable(self.path, "the checkpoint")

        def plain(value):
            if isinstance(value, np.generic):
                return value.item()
            raise TypeError(f"{type(value).__name__} {value!r} is not a JSON value")

        try:
            json.dumps(trainer.settings, default=plain)
        except (TypeError, ValueError) as error:
            raise ValueError(f"settings must hold JSON values (they go into the checkpoint): {error}") from None

    def on_epoch_recorded(self, trainer, epoch):
        if trainer.epoch % self.every == 0 or trainer.stop_training or trainer.epoch == trainer.epochs:
            save_checkpoint(trainer, self.path)

    def on_interrupt(self, trainer, signum):
        found = first_unsafe_parameter(trainer.net)
        if found is not None:  # diverged: DivergenceError, not a NaN checkpoint
            raise NonFiniteValue(*found, batch=trainer.batch - 1)
        save_checkpoint(trainer, self.path)

    def __repr__(self):
        return f"Checkpoint({self.path!r}, every={self.every})"


# -- writing ------------------------------------------------------------------------


def save_checkpoint(trainer, path) -> None:
    """Write everything needed to continue ``trainer``'s run exactly (atomic, no pickle).

    Raises:
        ValueError: a parameter or optimizer state holds NaN or inf (nothing is written).
    """
    net, optimizer = trainer.net, trainer.optimizer
    found = first_unsafe_parameter(net)
    if found is not None:
        raise ValueError(f"refusing to write the checkpoint {path}: {found[0]} holds {found[1]}")
    optimizer_state = optimizer.state_dict()
    for key, value in optimizer_state.items():
        if np.issubdtype(np.asarray(value).dtype, np.floating) and not all_finite(np.asarray(value)):
            raise ValueError(f"refusing to write the checkpoint {path}: the optimizer's {key} holds NaN or inf")
    loop = trainer.loop_state()
    arrays = {**state_dicts.parameters(net, PARAMETER_PREFIX), **state_dicts.nest(OPTIMIZER_PREFIX, optimizer_state)}
    if loop["order"] is not None:
        arrays[ORDER] = loop["order"]
    callbacks = []
    for index, callback in enumerate(stateful_callbacks(trainer.callbacks)):
        callback_arrays, values = state_dicts.split(callback.state_dict())
        arrays.update(state_dicts.nest(callback_prefix(index), callback_arrays))
        callbacks.append({"class": type(callback).__name__, "state": values})
    config = {
        "checkpoint_version": CHECKPOINT_VERSION,
        "model": net.config(),
        "optimizer": optimizer.config(),
        "rng": net.rng.bit_generator.state,
        "epoch": loop["epoch"],
        "batch": loop["batch"],
        "epochs": trainer.epochs,
        "batch_size": trainer.batch_size,
        "shuffle": trainer.shuffle,
        "totals": loop["totals"],
        "stop_training": loop["stop_training"],
        "history": loop["history"],
        "callbacks": callbacks,
        "settings": trainer.settings,
        "blas_threads": blas_threads(),
        "data": trainer.data_digest,
    }
    save_arrays(path, arrays, config, kind=CHECKPOINT_KIND)


def stateful_callbacks(callbacks) -> list:
    """The callbacks with a state to checkpoint (schedules, early stopping), in order."""
    return [callback for callback in callbacks if type(callback).state_dict is not Callback.state_dict]


# -- reading --------------------------------------------------------------------------


def restore(trainer, path, n: int) -> list[dict]:
    """Read and check a checkpoint completely, then load it into ``trainer``'s network,
    optimizer and loop (``n``: the training set's size; ``trainer.n_batches`` set for it).

    Returns:
        The stateful callbacks' checked states, for ``load_callback_states`` once
        ``on_train_begin`` has reset the callbacks.

    Raises:
        FileNotFoundError: no such file.
        bprop.io.FileFormatError (a ValueError) naming the file: anything in it that does
            not fit this run, or is out of range; nothing is changed then.
    """
    def check(config, found):  # before any array is read
        _check_same_network(trainer.net, config.get("model"))
        _check_array_shapes(trainer.net, found, n)

    arrays, config = load_arrays(path, kind=CHECKPOINT_KIND, check=check)
    with state_dicts.refusing(path, "incomplete or damaged checkpoint"):
        saved_data = check_fields(config, CHECKPOINT_FIELDS, "the checkpoint").get("data")
    # Other data first: what else does not fit (the totals of other weights, say) follows from it.
    if saved_data is not None and trainer.data_digest is not None and saved_data != trainer.data_digest:
        raise OtherDataError(path, "the checkpoint was trained on other data: resume with the same x, y, "
                                   "sample_weight, validation and monitored sets it was written with (their "
                                   "SHA-256 digest differs)")
    with state_dicts.refusing(path, "incomplete or damaged checkpoint"):
        staged = check_checkpoint(trainer, arrays, config, n)
    # Every check passed: now change the network and the loop.
    net = trainer.net
    state_dicts.set_parameters(net, arrays, PARAMETER_PREFIX)
    net.rng.bit_generator.state = staged["rng"]
    trainer.optimizer = staged["optimizer"]
    trainer.load_loop_state(staged["loop"])
    if not trainer.settings and staged["settings"] is not None:  # settings given to this run win (new paths)
        trainer.settings = staged["settings"]
    threads, saved = blas_threads(), staged["blas_threads"]
    if saved is not None and threads is not None and saved != threads:
        warnings.warn(BlasThreadsWarning(
            f"{path} was written with {saved} BLAS thread{'s' if saved > 1 else ''}, "
            f"this process uses {threads}: the resumed run will not be bit-identical to an uninterrupted one "
            f"(BLAS sums in another order); set OPENBLAS_NUM_THREADS={saved} (or "
            f"OMP_NUM_THREADS / MKL_NUM_THREADS) to match"), stacklevel=2)
    return staged["callbacks"]


def load_callback_states(trainer, states: list[dict]) -> None:
    """Load the callbacks' states ``restore`` checked (after on_train_begin reset them)."""
    for callback, state in zip(stateful_callbacks(trainer.callbacks), states):
        callback.load_state_dict(state)


def _check_same_network(net, model) -> None:
    mine = net.config()
    if not isinstance(model, dict):
        raise ValueError(f"the checkpoint's model must be a JSON object, got {short(model)}")
    for key in ("layers", "cost", "dtype"):
        if model.get(key) != mine[key]:
            raise ValueError(f"the checkpoint's network differs from this one ({key}: {short(model.get(key))} "
                             f"vs {short(mine[key])})")
    for key in ("preprocessing", "target_preprocessing"):  # the kind; fit learns the statistics again
        saved, own = (None if not isinstance(c, dict) else c.get("name") for c in (model.get(key), mine[key]))
        if saved != own:
            raise ValueError(f"the checkpoint's network differs from this one ({key}: {short(saved)} vs "
                             f"{short(own)}): its weights were trained on other inputs or targets")


def _check_same_training(trainer, config) -> None:
    """The run being resumed has this run's regularizer (name and lambda) and optimizer (name
    and every setting but eta, which a schedule may have changed during the run: the resumed
    run continues with the checkpoint's eta and moments)."""
    model = config.get("model") if isinstance(config.get("model"), dict) else {}
    saved = model.get("regularizer")
    mine = trainer.net.regularizer
    saved_reg = None if not saved else (saved.get("name"), saved.get("lambda"))
    mine_reg = None if mine is None else (mine.name, mine.lmbda)
    if saved_reg != mine_reg:
        def described(reg):
            return "no regularizer" if reg is None else f"{reg[0]} with lambda {reg[1]!r}"

        raise ValueError(f"the checkpoint was trained with {described(saved_reg)}, this network has "
                         f"{described(mine_reg)}; resume with the same regularizer")
    saved_opt = {key: value for key, value in (config.get("optimizer") or {}).items() if key != "eta"}
    mine_opt = {key: value for key, value in trainer.optimizer.config().items() if key != "eta"}
    if saved_opt != mine_opt:
        raise ValueError(f"the checkpoint was trained with the optimizer {short(saved_opt)}, this run asks for "
                         f"{short(mine_opt)}; resume with the same optimizer (its eta and state come from "
                         "the checkpoint)")


def _check_array_shapes(net, found: dict, n: int) -> None:
    """Before any array of a checkpoint is read: each is a parameter's shape, a scalar, or the order (n,)."""
    shapes = {value.shape for layer in net.layers for value in layer.params.values()}
    for name, (shape, _) in found.items():
        if name == ORDER:
            if shape != (n,):
                raise ValueError(f"the checkpoint was trained on {shape[0] if len(shape) == 1 else shape} "
                                 f"samples, not {n}")
        elif shape != () and shape not in shapes:
            raise ValueError(f"array {name[:80]!r} has shape {list(shape)[:8]}, which is no parameter's shape "
                             "of this network")


def check_checkpoint(trainer, arrays: dict, config: dict, n: int) -> dict:
    """Validate every part of a checkpoint against ``trainer``'s run; return the staged values
    (nothing is changed).

    Raises:
        ValueError (KeyError, TypeError, ... for a damaged file): what does not fit.
    """
    net = trainer.net
    config = check_fields(config, CHECKPOINT_FIELDS, "the checkpoint")
    _check_same_network(net, config["model"])
    if config["batch_size"] != trainer.batch_size or config["shuffle"] != trainer.shuffle:
        raise ValueError(f"the checkpoint was trained with batch size {config['batch_size']} and shuffle="
                         f"{config['shuffle']}; resume with the same (got {trainer.batch_size}, {trainer.shuffle})")

    # Parameters: every one present, right shape and dtype, finite and not huge.
    expected = state_dicts.parameter_specs(net, PARAMETER_PREFIX)
    state_dicts.check_parameters(arrays, expected, "the checkpoint")
    expected_names = set(expected)

    # The generator's state, set on a fresh generator of the same kind first.
    rng = config["rng"]
    kind = type(net.rng.bit_generator)
    if not isinstance(rng, dict) or rng.get("bit_generator") != kind.__name__:
        raise ValueError(f"the checkpoint's RNG state is not a {kind.__name__} state: {short(rng)}")
    staging = kind()
    try:
        staging.state = rng
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        raise ValueError(f"the checkpoint's RNG state is invalid ({short(error)})") from None
    if staging.state != rng:
        raise ValueError(f"the checkpoint's RNG state is out of range: {short(rng)}")

    # Position in the run.
    epoch, batch = config["epoch"], config["batch"]
    history = config["history"]
    if len(history) != epoch:
        raise ValueError(f"the checkpoint is at epoch {epoch} but its history has {len(history)} epochs")
    if batch > trainer.n_batches:
        raise ValueError(f"the checkpoint is at batch {batch}, but an epoch here has {trainer.n_batches} batches")
    order = arrays.get(ORDER)
    if batch:
        if order is None:
            raise ValueError("mid-epoch checkpoint without its permutation")
        if order.dtype.kind not in "iu" or order.shape != (n,):
            raise ValueError(f"the checkpoint's sample order must be {n} integers, got {order.shape} {order.dtype}")
        reference = np.arange(n)
        if not np.array_equal(np.sort(order) if trainer.shuffle else order, reference):
            raise ValueError(f"the checkpoint's sample order is not a permutation of 0..{n - 1}"
                             if trainer.shuffle else "the checkpoint's sample order is not 0..n-1 (shuffle is off)")
        expected_names.add(ORDER)
    totals = _check_totals(config["totals"], len(net.dense_layers), n, trainer.n_batches, trainer.sample_weight)

    # The optimizer, rebuilt from its config and loaded with its checked state.
    trainable = [param for param, _ in net.trainable_parameters()]
    optimizer = optimizers.from_config(config["optimizer"])
    _check_same_training(trainer, config)
    optimizer_state = state_dicts.part(OPTIMIZER_PREFIX, arrays)
    optimizer.load_state_dict(optimizer_state, trainable)  # a fresh object: nothing of this run changes
    expected_names.update(state_dicts.nest(OPTIMIZER_PREFIX, optimizer_state))

    # Callbacks: the same stateful classes in the same order, each state checked.
    saved_callbacks = config["callbacks"]
    stateful = stateful_callbacks(trainer.callbacks)
    names = [type(callback).__name__ for callback in stateful]
    if [entry["class"] for entry in saved_callbacks] != names:
        raise ValueError(f"the checkpoint's stateful callbacks {[e['class'] for e in saved_callbacks][:10]} "
                         f"differ from this run's {names}; resume with the same callbacks")
    states = []
    for index, (callback, entry) in enumerate(zip(stateful, saved_callbacks)):
        callback_arrays = state_dicts.part(callback_prefix(index), arrays)
        expected_names.update(state_dicts.nest(callback_prefix(index), callback_arrays))
        state = {**entry["state"], **callback_arrays}
        try:
            callback.check_state(state, trainable)
        except ValueError as error:
            raise ValueError(f"callback {index} ({names[index]}): {error}") from None
        states.append(state)

    unexpected = sorted(set(arrays) - expected_names)
    if unexpected:
        raise ValueError(f"the checkpoint holds unexpected arrays {unexpected[:10]}")
    loop = {"epoch": epoch, "batch": batch, "order": order if batch else None, "totals": totals,
            "history": history, "stop_training": config["stop_training"]}
    return {"rng": rng, "optimizer": optimizer, "loop": loop, "settings": config.get("settings"),
            "callbacks": states, "blas_threads": config.get("blas_threads")}


# -- the JSON part ---------------------------------------------------------------------


def _history_row(row):
    if not isinstance(row, dict):
        raise ValueError(f"must be an object of metrics, got {short(row)}")
    for key, value in row.items():
        if not isinstance(key, str) or len(key) > 200:
            raise ValueError(f"has a metric name that is not a short string: {short(key)}")
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"metric {key!r} must be a number or null, got {short(value)}")
    return row


def _callback_entry(entry):
    return check_fields(entry, {"class": Field(string()), "state": Field(_json_object)}, "a callback entry")


def _sha256_hex(value):
    if not isinstance(value, str) or len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
        raise ValueError(f"must be a SHA-256 digest (64 lowercase hex digits), got {short(value)}")
    return value


def _json_object(value):
    if not isinstance(value, dict):
        raise ValueError(f"must be a JSON object, got {short(value)}")
    return value


#: Schema of a checkpoint's JSON part (checked before anything changes; see ``check_checkpoint``).
CHECKPOINT_FIELDS: dict[str, Field] = {
    "checkpoint_version": Field(choice(CHECKPOINT_VERSION)),
    "model": Field(_json_object),
    "optimizer": Field(_json_object),
    "rng": Field(_json_object),
    "epoch": Field(integer(0, 10**9)),
    "batch": Field(integer(0)),
    "epochs": Field(integer(1)),
    "batch_size": Field(integer(1)),
    "shuffle": Field(boolean()),
    "totals": Field(_json_object),
    "stop_training": Field(boolean()),
    "history": Field(list_of(_history_row)),
    "callbacks": Field(list_of(_callback_entry, max_length=1000)),
    "settings": Field(optional(_json_object), required=False),
    "blas_threads": Field(optional(integer(1, 1 << 16)), required=False),
    "data": Field(optional(_sha256_hex), required=False),  # (absent in checkpoints written before it)
}


def _check_totals(totals: dict, n_layers: int, n: int, n_batches: int, weights=None) -> dict:
    """The running sums of a mid-epoch checkpoint: every key, each finite and in range (the
    right answers: a count up to n, or with sample weights their weighted sum, up to Σ w_x)."""
    sums = list_of(number(0), min_length=n_layers, max_length=n_layers)
    correct = integer(0, n) if weights is None else number(0, float(weights.sum()) * (1 + 1e-9))
    fields = {"cost": Field(number()), "correct": Field(correct), "seconds": Field(number(0)),
              "norm_sums": Field(sums), "delta_sums": Field(sums), "norm_count": Field(integer(0, n_batches))}
    checked = check_fields(totals, fields, "the checkpoint's running totals")
    if set(checked) != set(fields):
        raise ValueError(f"the checkpoint's running totals have unknown keys {sorted(set(checked) - set(fields))[:10]}")
    return checked
