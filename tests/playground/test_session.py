"""The playground's session on its own: frames of a network that diverged."""

import warnings

import numpy as np

from bprop.playground.session import Session
from bprop.playground.settings import DEFAULTS, validate


def test_a_diverged_classifier_still_draws_its_frames_and_confusion_matrix():
    """A frame is drawn after the page is told the network diverged; its confusion matrix counts
    every sample, those with NaN outputs apart (they name no class). Through Network.feedforward,
    which refuses non-finite outputs (rightly, for predictions), building the frame raised instead."""
    session = Session(validate({**DEFAULTS, "dataset": "xor", "activation": "identity", "optimizer": "momentum",
                                "eta": 10.0, "hidden": [8, 8], "features": ["x1sq", "x2sq", "x1x2"]}))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for _ in range(50):
            session.step()
            train, _ = session.record_losses()
            if session.diverged():
                break
        assert session.diverged() and not np.isfinite(train)
        frame = session.frame(with_numbers=False)
        # paused (as the training loop leaves it after divergence), a frame carries the hover
        # numbers: building them raised 'weights contain NaN or inf', which ended the loop, so no
        # frame came and a new network never trained until the page was reloaded
        paused = session.frame(with_numbers=True)
    assert frame["train_loss"] is None and paused["train_loss"] is None and paused["numbers"] is None
    matrix = np.array(frame["confusion"]["train"])
    assert matrix.sum() + frame["confusion"]["unpredicted"]["train"] == len(session.train_idx)
