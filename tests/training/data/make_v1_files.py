"""How checkpoint_v1.npz and model_v1.npz were written: once, by bprop at commit fa242e3 (before
the checkpoint code left trainer.py), with that tree's src/ on PYTHONPATH:

    git worktree add /tmp/v1 fa242e3 && PYTHONPATH=/tmp/v1/src python make_v1_files.py .

tests/training/test_checkpoint.py checks that this version still reads them.
"""

import sys

import numpy as np

from bprop import Adam, EarlyStopping, HalveOnPlateau, Network, TrainingInterrupted
from bprop.training import Callback

out = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.standard_normal((60, 5))
y = (x[:, 0] - x[:, 2] > 0).astype(int) + (x[:, 1] > 0.5)


class StopAt(Callback):
    def on_batch_end(self, trainer, batch, n_batches):
        if (trainer.epoch, batch) == (1, 2):
            raise KeyboardInterrupt


net = Network([5, 8, 3], hidden="relu", seed=7, regularizer=("l2", 0.5), dtype="float64")
try:
    net.fit(x, y, epochs=4, batch_size=10, verbose=False, optimizer=Adam(0.01),
            callbacks=[HalveOnPlateau(patience=1, max_halvings=3), EarlyStopping(patience=10), StopAt()],
            validation=(x[:20], y[:20]), checkpoint=f"{out}/checkpoint_v1.npz",
            settings={"note": "written by bprop fa242e3"})
except TrainingInterrupted as stop:
    print("checkpoint at", stop.epoch, stop.batch)
Network([5, 8, 3], hidden="relu", seed=7, regularizer=("l2", 0.5), dtype="float64").save(f"{out}/model_v1.npz")
