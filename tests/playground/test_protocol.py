"""The playground's WebSocket protocol, in process (Starlette's TestClient, no browser).

The numbers the server sends are checked against ``Network.backprop`` run here on the
same weights and data; hostile messages must get an error and leave the session serving.
"""

import base64
import json
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette", reason='the playground extra is missing: pip install "bprop[playground]"')
pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx: pip install httpx")

import bprop  # noqa: E402
from bprop.explain import network_from_arrays  # noqa: E402
from bprop.playground.app import create_app  # noqa: E402

with warnings.catch_warnings():  # Starlette asks for httpx2; httpx works the same
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

XOR = {"dataset": "xor", "hidden": [4, 3], "activation": "tanh", "head": "softmax_ll", "eta": 0.1,
       "points": 120, "batch": 8, "features": ["x1", "x2"]}


class Client:
    """A WebSocket to the app that collects replies by type."""

    def __init__(self, ws):
        self.ws = ws
        assert ws.receive_json()["type"] == "hello"

    def send(self, message):
        self.ws.send_text(message if isinstance(message, str) else json.dumps(message))

    def until(self, kind):
        """Replies up to and including the first one of type ``kind``."""
        replies = []
        while len(replies) < 5000:  # a bound, so a missing reply fails instead of hanging on frames
            reply = self.ws.receive_json()
            replies.append(reply)
            if reply["type"] == kind:
                return reply, replies
            if reply["type"] == "error":
                raise AssertionError(f"waiting for {kind!r}, got the error {reply['message']!r}")
        raise AssertionError(f"no {kind!r} reply in {len(replies)} messages")

    def config(self, settings):
        self.send({"type": "config", "settings": settings})
        state, _ = self.until("state")
        frame, _ = self.until("frame")
        return state, frame

    def error_for(self, message):
        self.send(message)
        reply, replies = self.until("error")
        assert all(r["type"] == "error" for r in replies)
        return reply["message"]

    def alive(self):
        self.send({"type": "ping", "id": 7})
        reply, _ = self.until("pong")
        return reply["id"] == 7


@pytest.fixture
def app():
    return create_app()


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        with test_client.websocket_connect("/ws") as ws:
            yield Client(ws)


def network_of(frame, state):
    """The float64 network of a frame's weights, built here (independent of the session)."""
    acts = state["activations"]
    return network_from_arrays(frame["weights"], frame["biases"], acts[0], acts[-1], state["cost"])


def train_data(state):
    x = np.array(state["points"]["train"]["xy"])
    labels = np.array(state["points"]["train"]["label"])
    return x, np.eye(state["sizes"][-1])[labels]


def test_page_and_static_files_are_served(app):
    with TestClient(app) as test_client:
        page = test_client.get("/")
        assert page.status_code == 200 and "bprop playground" in page.text
        assert "never computes a gradient" in test_client.get("/static/app.js").text
        assert test_client.get("/static/../session.py").status_code == 404


def test_one_step_moves_each_weight_by_exactly_minus_eta_times_backprop(client):
    state, before = client.config(XOR)
    client.send({"type": "step"})
    stepped, _ = client.until("stepped")
    after, _ = client.until("frame")
    assert after["step"] == 1 and len(stepped["batch"]) == XOR["batch"]
    x, targets = train_data(state)
    batch = stepped["batch"]
    gradients = network_of(before, state).backprop(x[batch], targets[batch])
    for w0, w1, g in zip(before["weights"], after["weights"], gradients.weights):
        expected = np.array(w0) - np.multiply(g, XOR["eta"])
        assert np.array_equal(np.array(w1), expected)
    for b0, b1, g in zip(before["biases"], after["biases"], gradients.biases):
        assert np.array_equal(np.array(b1), np.array(b0) - np.multiply(g, XOR["eta"]))
    assert not np.array_equal(np.array(before["weights"][0]), np.array(after["weights"][0]))


def test_hover_numbers_equal_network_backprop_for_the_selected_sample(client):
    state, frame = client.config(XOR)
    client.send({"type": "select", "set": "train", "index": 5, "mode": "sample"})
    numbers, _ = client.until("numbers")
    x, targets = train_data(state)
    net = network_of(frame, state)
    gradients = net.backprop(x[5:6], targets[5:6])
    assert numbers["x"] == x[5].tolist() and numbers["y"] == targets[5].tolist()
    a = x[5:6]
    for layer, entry, gw, gb, w, b in zip(net.dense_layers, numbers["layers"], gradients.weights, gradients.biases,
                                          frame["weights"], frame["biases"]):
        z = a @ np.array(w).T + np.array(b)  # independent of the layer code
        a = layer.activation.forward(z)
        np.testing.assert_allclose(entry["z"], z[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(entry["a"], a[0], rtol=1e-12, atol=1e-14)
        assert np.array_equal(entry["db"], gb) and np.array_equal(entry["dw"], gw)  # delta = dC/db (BP3)
        np.testing.assert_array_equal(entry["step"], XOR["eta"] * gw)
    # BP2 by hand from the numbers sent: delta^1 = (w^2)^T delta^2 * (1 - a^2) for tanh.
    first, second = numbers["layers"][0], numbers["layers"][1]
    by_hand = (np.array(second["w"]).T @ np.array(second["db"])) * (1 - np.array(first["a"]) ** 2)
    np.testing.assert_allclose(first["db"], by_hand, rtol=1e-10, atol=1e-14)
    assert numbers["rule"] == "fused"  # softmax + log-likelihood: BP1 is a - y
    np.testing.assert_allclose(numbers["layers"][-1]["db"], np.array(numbers["layers"][-1]["a"]) - targets[5],
                               atol=1e-14)


def test_batch_mode_shows_the_gradient_the_next_step_applies(client):
    state, frame = client.config(XOR)
    client.send({"type": "select", "set": "train", "index": 0, "mode": "batch"})
    numbers, _ = client.until("numbers")
    client.send({"type": "step"})
    stepped, _ = client.until("stepped")
    after, _ = client.until("frame")
    assert stepped["batch"] == numbers["batch"]
    for w0, w1, entry in zip(frame["weights"], after["weights"], numbers["layers"]):
        assert np.array_equal(np.array(w1), np.array(w0) - np.array(entry["step"]))


def test_regularized_gradient_includes_the_penalty(client):
    settings = dict(XOR, regularization="l2", reg_rate=0.5)
    state, frame = client.config(settings)
    client.send({"type": "select", "set": "train", "index": 2, "mode": "sample"})
    numbers, _ = client.until("numbers")
    x, targets = train_data(state)
    n = len(x)
    net = network_of(frame, state)
    net.regularizer = bprop.regularizers.get("l2", 0.5, n=n)
    gradients = net.backprop(x[2:3], targets[2:3])
    for entry, gw in zip(numbers["layers"], gradients.weights):
        np.testing.assert_allclose(entry["dw"], gw, rtol=1e-12, atol=1e-15)
    assert numbers["regularizer"] == {"name": "l2", "lambda": 0.5, "n": n}


HOSTILE = [
    "not json",
    "[1, 2, 3]",
    "null",
    '{"no": "type"}',
    '{"type": "format_disk"}',
    '{"type": 5}',
    '{"type": "step", "extra": 1}',
    '{"type": "config", "settings": "all"}',
    '{"type": "config", "settings": {"hidden": [4, 4, 4, 4, 4, 4, 4, 4, 4]}}',
    '{"type": "config", "settings": {"hidden": [33]}}',
    '{"type": "config", "settings": {"hidden": [0]}}',
    '{"type": "config", "settings": {"hidden": [true]}}',
    '{"type": "config", "settings": {"hidden": "8,8"}}',
    '{"type": "config", "settings": {"points": 1000000}}',
    '{"type": "config", "settings": {"eta": NaN}}',
    '{"type": "config", "settings": {"eta": -1}}',
    '{"type": "config", "settings": {"eta": "0.1"}}',
    '{"type": "config", "settings": {"activation": "softmax"}}',
    '{"type": "config", "settings": {"dataset": "plane"}}',
    '{"type": "config", "settings": {"dataset": "upload"}}',
    '{"type": "config", "settings": {"features": []}}',
    '{"type": "config", "settings": {"features": ["x1", "x1"]}}',
    '{"type": "config", "settings": {"features": ["__import__"]}}',
    '{"type": "config", "settings": {"evil": 1}}',
    '{"type": "config", "settings": {"batch": 1e300}}',
    '{"type": "select", "set": "train", "index": 100000}',
    '{"type": "select", "set": "train", "index": -1}',
    '{"type": "select", "set": "validation", "index": 0}',
    '{"type": "select", "index": 1.5}',
    '{"type": "inspect", "on": "yes"}',
    '{"type": "upload", "csv": 42}',
    '{"type": "upload", "csv": "1,2\\n3,4"}',
    '{"type": "upload", "csv": "a,b,c\\n1,2,0\\n1,2,x\\n3,4,1\\n5,6,0\\n"}',
    '{"type": "upload", "csv": "1,2,0\\n1,2,7\\n3,4,1\\n5,6,0\\n"}',
    '{"type": "upload", "csv": "1,2,0\\n1,inf,1\\n3,4,1\\n5,6,0\\n"}',
    '{"type": "export", "format": "pickle"}',
    '{"type": "load", "format": "npz", "base64": "!!!"}',
    '{"type": "load", "format": "npz", "base64": "aGVsbG8="}',
    '{"type": "load", "format": "json", "base64": "eyJ3ZWlnaHRzIjogM30="}',
    '{"type": "ping", "id": "x"}',
    "[" * 100000 + "]" * 100000,
]


@pytest.mark.parametrize("message", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_message_gets_an_error_and_changes_nothing(client, message):
    state, frame = client.config(XOR)
    text = client.error_for(message)
    assert text and len(text) < 500
    assert client.alive()
    client.send({"type": "pause"})
    after, _ = client.until("frame")
    assert after["weights"] == frame["weights"] and after["step"] == 0
    client.send({"type": "select", "set": "test", "index": 0})
    numbers, _ = client.until("numbers")
    assert [len(layer["db"]) for layer in numbers["layers"]] == [4, 3, 2]  # same network, still serving


def test_errors_name_the_problem(client):
    assert "at most 8" in client.error_for({"type": "config", "settings": {"hidden": [2] * 9}})
    assert "from 1 to 32" in client.error_for({"type": "config", "settings": {"hidden": [64]}})
    assert "row 3" in client.error_for({"type": "upload", "csv": "x1,x2,label\n1,2,0\n3,4,1\n5,six,0\n7,8,1\n"})
    assert "valid types" in client.error_for({"type": "rm"})


def test_oversized_and_binary_messages(client):
    assert "too large" in client.error_for(json.dumps({"type": "upload", "csv": "1,2,0\n" * 600_000}))
    client.ws.send_bytes(b"\x00\x01")
    client.until("error")
    assert client.alive()


def test_divergence_pauses_with_an_error_and_reset_recovers(client):
    client.config({"problem": "regression", "dataset": "plane", "eta": 10.0, "activation": "relu", "hidden": [8, 8],
                   "features": ["x1sq", "x2sq", "x1x2"], "speed": 200})
    client.send({"type": "play"})
    error, replies = client.until("error")
    assert "diverged" in error["message"]
    client.send({"type": "step"})
    assert "diverged" in client.until("error")[0]["message"]
    assert client.alive()
    client.send({"type": "reset"})
    frame, _ = client.until("frame")
    assert frame["step"] == 0 and frame["train_loss"] is not None


def test_a_diverged_classifier_pauses_with_an_error_and_the_tab_trains_again_after_reset(app, client):
    # Quadratic features and eta 10: the logits overflow to NaN within a few steps. The frames
    # after that must still be drawn: they raised in the confusion matrix, which killed the
    # tab's training task (no frame, and play did nothing until the page was reloaded).
    settings = {"dataset": "gauss", "activation": "identity", "eta": 10.0, "hidden": [8, 8], "speed": 5,
                "features": ["x1", "x2", "x1sq", "x2sq", "x1x2"]}
    client.config(settings)
    client.send({"type": "play"})
    error, _ = client.until("error")
    assert "diverged" in error["message"]
    client.send({"type": "pause"})
    client.until("status")
    frame, _ = client.until("frame")
    assert not frame["playing"] and frame["train_loss"] is None and frame["numbers"] is None
    # NaN outputs name no class: they are counted apart, not as class 0.
    assert frame["confusion"]["unpredicted"] == {"train": 250, "test": 250}
    assert frame["confusion"]["train"] == [[0, 0], [0, 0]] == frame["confusion"]["test"]
    (connection,) = app.state.connections
    assert not connection.task.done()
    for fmt in ("npz", "json"):  # JSON wrote null weights; npz named a temporary file of the server
        message = client.error_for({"type": "export", "format": fmt})
        assert "diverged" in message and "/tmp" not in message and "tmp" not in message
    client.config(dict(settings, eta=0.01))
    client.send({"type": "reset"})
    client.until("frame")
    client.send({"type": "play"})
    steps = []
    while len(steps) < 3:
        reply = client.ws.receive_json()
        assert reply["type"] != "error", reply
        if reply["type"] == "frame":
            steps.append(reply["step"])
    assert steps[-1] > steps[0] > 0
    client.send({"type": "pause"})
    client.until("status")


def test_tabs_are_independent_and_a_closed_tab_frees_its_session(app):
    with TestClient(app) as test_client:
        with test_client.websocket_connect("/ws") as ws1:
            one = Client(ws1)
            one.config(XOR)
            with test_client.websocket_connect("/ws") as ws2:
                two = Client(ws2)
                two.config(XOR)
                assert len(app.state.connections) == 2
                for _ in range(3):
                    one.send({"type": "step"})
                    frame1, _ = one.until("frame")
                two.send({"type": "pause"})
                frame2, _ = two.until("frame")
                assert frame1["step"] == 3 and frame2["step"] == 0
                assert frame1["weights"] != frame2["weights"]
            one.alive()
            assert len(app.state.connections) == 1
        for _ in range(100):
            if not app.state.connections:
                break
            import time
            time.sleep(0.01)
        assert not app.state.connections


def test_play_trains_and_pause_stops(client):
    client.config(dict(XOR, speed=20))
    client.send({"type": "play"})
    steps = []
    while len(steps) < 5:
        reply = client.ws.receive_json()
        if reply["type"] == "frame":
            steps.append(reply["step"])
    assert steps == sorted(steps) and steps[-1] >= 100 and steps[-1] % 20 == 0
    client.send({"type": "pause"})
    while True:
        reply = client.ws.receive_json()
        if reply["type"] == "status" and not reply["playing"]:
            break
    frame, _ = client.until("frame")
    assert not frame["playing"]


def test_stop_condition_pauses_training(client):
    client.config(dict(XOR, stop_epochs=2, speed=10))
    client.send({"type": "play"})
    while True:
        reply = client.ws.receive_json()
        if reply["type"] == "frame" and reply["stopped"]:
            break
    assert "2 epochs" in reply["stopped"] and reply["epoch"] == 2 and not reply["playing"]
    # At 20 steps a frame and 8 steps an epoch (7 of 8 samples, 1 of 4), it went on to step 20.
    client.config(dict(XOR, stop_epochs=2, speed=20, seed=1))
    client.send({"type": "play"})
    while True:
        reply = client.ws.receive_json()
        if reply["type"] == "frame" and reply["stopped"]:
            break
    assert reply["epoch"] == 2 and reply["step"] == 16


def test_a_step_schedule_shows_the_eta_of_the_next_step(client):
    client.config(dict(XOR, schedule="step", schedule_every=1, batch=6, eta=0.1))  # 10 steps an epoch
    client.send({"type": "select", "set": "train", "index": 0, "mode": "batch"})
    client.until("numbers")
    before = steps(client, 10)  # one epoch done: the next step takes eta / 2
    assert before["epoch"] == 1 and before["eta"] == 0.05 and before["numbers"]["eta"] == 0.05
    after = steps(client, 1)
    for w0, w1, entry in zip(before["weights"], after["weights"], before["numbers"]["layers"]):
        np.testing.assert_array_equal(np.array(w1), np.array(w0) - np.array(entry["step"]))


def test_csv_upload_becomes_the_data_set(client):
    client.config(XOR)
    rows = "\n".join(f"{x},{-x},{int(x > 0)}" for x in np.linspace(-4, 4, 40))
    client.send({"type": "upload", "csv": "x1,x2,label\n" + rows})
    state, _ = client.until("state")
    client.until("frame")
    assert state["settings"]["dataset"] == "upload" and state["has_upload"]
    xy = state["points"]["train"]["xy"] + state["points"]["test"]["xy"]
    assert len(xy) == 40 and state["classes"] == 2
    message = client.error_for({"type": "config", "settings": dict(state["settings"], problem="regression")})
    assert "class labels" in message


def test_export_npz_loads_with_bprop_load_and_back(client, tmp_path):
    state, frame = client.config(XOR)
    client.send({"type": "step"})
    frame, _ = client.until("frame")
    client.send({"type": "export", "format": "npz"})
    file, _ = client.until("file")
    path = tmp_path / file["name"]
    path.write_bytes(base64.b64decode(file["base64"]))
    net = bprop.load(path)
    assert net.sizes == [2, 4, 3, 2]
    for w, sent in zip(net.weights, frame["weights"]):
        assert np.array_equal(w, np.array(sent))
    # Load it back into a fresh network of another shape: the settings follow the file.
    client.config(dict(XOR, hidden=[2]))
    client.send({"type": "load", "format": "npz", "base64": file["base64"]})
    state, _ = client.until("state")
    loaded, _ = client.until("frame")
    assert state["settings"]["hidden"] == [4, 3] and loaded["weights"] == frame["weights"]


@pytest.mark.parametrize("scaling", [{"preprocessing": bprop.Scale(0.5)}, {"preprocessing": "standardize"},
                                     {"target_preprocessing": "standardize"}])
def test_a_model_that_rescales_its_data_is_refused_not_loaded_without_its_scaling(client, tmp_path, scaling):
    # It loaded with its preprocessing dropped: its weights then saw other numbers than in training.
    regression = "target_preprocessing" in scaling
    settings = {"problem": "regression", "dataset": "plane", "hidden": [3]} if regression else dict(XOR, hidden=[3])
    state, frame = client.config(settings)
    net = bprop.Network([2, 3, 1 if regression else 2], output="identity" if regression else "softmax",
                        cost="quadratic" if regression else "log_likelihood", seed=1, dtype="float64", **scaling)
    x = np.array(state["points"]["train"]["xy"])
    y = np.array(state["points"]["train"]["label"])
    net.fit(x, y, epochs=1, batch_size=10, eta=0.01, verbose=False)
    net.save(tmp_path / "scaled.npz")
    client.send({"type": "load", "format": "npz", "base64": base64.b64encode((tmp_path / "scaled.npz").read_bytes()).decode()})
    client.send({"type": "ping", "id": 1})
    replies = []
    while not replies or replies[-1]["type"] != "pong":
        replies.append(client.ws.receive_json())
    assert [reply["type"] for reply in replies] == ["error", "pong"], replies
    message = replies[0]["message"]
    assert "rescales its" in message and ("targets" in message) == regression
    client.send({"type": "pause"})
    after, _ = client.until("frame")
    assert after["weights"] == frame["weights"]


def test_export_json_is_what_explain_reads(client, tmp_path, capsys):
    from bprop.cli import main

    client.config(XOR)
    client.send({"type": "export", "format": "json"})
    file, _ = client.until("file")
    path = tmp_path / "weights.json"
    path.write_bytes(base64.b64decode(file["base64"]))
    assert main(["explain", "--weights", str(path)]) == 0
    out = capsys.readouterr().out
    assert "BP2" in out and "softmax" in out


def test_json_weights_load_onto_the_features_they_were_exported_for(client):
    # They loaded onto whatever features were selected: weights for x1, x2 read x1², x2².
    client.config(XOR)
    frame = steps(client, 3)
    client.send({"type": "export", "format": "json"})
    file, _ = client.until("file")
    client.config(dict(XOR, features=["x1sq", "x2sq"]))
    client.send({"type": "load", "format": "json", "base64": file["base64"]})
    state, _ = client.until("state")
    loaded, _ = client.until("frame")
    assert state["settings"]["features"] == ["x1", "x2"]
    assert loaded["weights"] == frame["weights"] and loaded["train_loss"] == frame["train_loss"]
    spec = json.loads(base64.b64decode(file["base64"]))
    for features in (["x2", "x1"], ["x1", "x1"], ["x1", "bogus"], "x1,x2", []):
        bad = base64.b64encode(json.dumps(dict(spec, features=features)).encode()).decode()
        assert "features" in client.error_for({"type": "load", "format": "json", "base64": bad})
    bad = base64.b64encode(json.dumps(dict(spec, features=["x1", "x2", "x1x2"])).encode()).decode()
    assert "names 3 features" in client.error_for({"type": "load", "format": "json", "base64": bad})


def test_explain_sends_the_trace_as_mathml(client):
    state, frame = client.config(XOR)
    client.send({"type": "select", "set": "train", "index": 1, "mode": "sample"})
    numbers, _ = client.until("numbers")
    client.send({"type": "explain"})
    trace, _ = client.until("trace")
    titles = [s["title"] for s in trace["sections"]]
    assert any("BP1" in t for t in titles) and any("BP2" in t for t in titles)
    lines = [line for s in trace["sections"] for line in s["lines"]]
    assert all(line["symbol"].startswith("<math>") for line in lines)
    # The trace's delta^1_1 is the hover's delta^1_1 (same weights, same sample).
    delta = [line["value"] for line in lines if "δ<" in line["symbol"] and "<mn>1</mn><mn>1</mn>" in line["symbol"]]
    assert delta and delta[0] == pytest.approx(numbers["layers"][0]["db"][0], rel=1e-12)


def test_regression_uses_identity_and_quadratic(client):
    state, frame = client.config({"problem": "regression", "dataset": "plane", "hidden": [3]})
    assert state["activations"][-1] == "identity" and state["cost"] == "quadratic" and state["regression"]
    assert "confusion" not in frame and frame["output"]["kind"] == "value"


def test_the_regression_output_is_drawn_on_the_targets_scale(client):
    # It was drawn from -max to max of the network's own output: an untrained network's
    # outputs of +-0.34 took the full colors of targets of +-1.66.
    state, frame = client.config({"problem": "regression", "dataset": "plane", "noise": 30, "hidden": [3]})
    labels = np.array(state["points"]["train"]["label"] + state["points"]["test"]["label"])
    output = frame["output"]
    assert (output["lo"], output["hi"]) == (-np.abs(labels).max(), np.abs(labels).max())
    net = network_of(frame, state)
    values = net.feedforward(np.stack(np.meshgrid(np.linspace(-6, 6, 40), np.linspace(6, -6, 40)), -1).reshape(-1, 2))
    expected = np.clip(np.rint((values[:, 0] - output["lo"]) / (output["hi"] - output["lo"]) * 255), 0, 255)
    assert np.array_equal(np.frombuffer(base64.b64decode(output["data"]), dtype=np.uint8), expected.astype(np.uint8))


def test_multiclass_and_slow_pair_note(client):
    state, frame = client.config({"dataset": "blobs3", "head": "softmax_ll"})
    assert state["sizes"][-1] == 3 and len(frame["confusion"]["train"]) == 3
    state, _ = client.config({"dataset": "circle", "head": "sigmoid_quadratic"})
    assert state["sizes"][-1] == 1 and "slowly" in state["note"]


def test_explain_draws_the_computational_graph_of_tiny_networks_only(client):
    client.config(dict(XOR, hidden=[3]))
    client.send({"type": "explain"})
    trace, _ = client.until("trace")
    svg = base64.b64decode(trace["graph_svg"]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    client.config(XOR)  # 35 parameters
    client.send({"type": "explain"})
    trace, _ = client.until("trace")
    assert trace["graph_svg"] is None and trace["sections"]


def test_live_settings_keep_the_network_and_others_rebuild_it(client):
    client.config(XOR)
    client.send({"type": "step"})
    client.until("frame")
    state, frame = client.config(dict(XOR, eta=0.05, batch=4, speed=3))
    assert frame["step"] == 1 and frame["eta"] == 0.05
    client.send({"type": "select", "set": "train", "index": 0, "mode": "batch"})
    numbers, _ = client.until("numbers")
    assert len(numbers["batch"]) == 4
    state, frame = client.config(dict(XOR, eta=0.05, batch=4, activation="sigmoid"))
    assert frame["step"] == 0 and state["activations"] == ["sigmoid", "sigmoid", "softmax"]


def steps(client, k):
    for _ in range(k):
        client.send({"type": "step"})
        frame, _ = client.until("frame")
    return frame


def test_the_epoch_counts_samples_used_when_the_batch_size_changes(client):
    client.config(XOR)  # 60 training points
    assert steps(client, 5)["epoch"] == 40 / 60
    _, frame = client.config(dict(XOR, batch=60))
    assert frame["step"] == 5 and frame["epoch"] == 40 / 60  # it read 5 steps x 60 / 60 = 5 epochs
    assert steps(client, 1)["epoch"] == 1  # the epoch's last 20 samples
    assert steps(client, 1)["epoch"] == 2
    _, frame = client.config(dict(XOR, batch=1))
    assert frame["epoch"] == 2


def test_an_epoch_is_one_pass_over_every_training_sample(client):
    # With 60 points and batches of 25, the last 10 of each shuffled order were skipped: the
    # third step took 25 points of a new order and the counter read 1.25 epochs.
    client.config(dict(XOR, batch=25))
    used = []
    for _ in range(3):
        client.send({"type": "step"})
        stepped, _ = client.until("stepped")
        frame, _ = client.until("frame")
        used += stepped["batch"]
    assert [len(used), frame["epoch"]] == [60, 1.0] and sorted(used) == list(range(60))
    client.send({"type": "step"})
    stepped, _ = client.until("stepped")
    assert len(stepped["batch"]) == 25


def test_a_live_setting_leaves_the_batches_and_so_the_run_as_they_were(client):
    client.config(XOR)
    reference = steps(client, 9)["weights"]
    client.send({"type": "reset"})
    client.until("frame")
    steps(client, 4)
    client.config(dict(XOR, speed=7, stop_loss=1e-6, stop_epochs=1000))  # pace and stop: not the batches
    assert steps(client, 5)["weights"] == reference


def test_reset_and_a_new_network_keep_the_selected_sample_and_new_data_selects_the_first(client):
    client.config(XOR)
    client.send({"type": "select", "set": "test", "index": 5, "mode": "sample"})
    client.until("numbers")
    steps(client, 1)
    client.send({"type": "reset"})  # the page kept showing test sample #5 while hover and explain used training #0
    frame, _ = client.until("frame")
    assert (frame["numbers"]["set"], frame["numbers"]["index"]) == ("test", 5)
    state, frame = client.config(dict(XOR, activation="sigmoid"))
    assert state["selected"] == {"set": "test", "index": 5} and frame["numbers"]["index"] == 5
    state, frame = client.config(dict(XOR, activation="sigmoid", noise=10))
    assert state["selected"] == {"set": "train", "index": 0} == {k: frame["numbers"][k] for k in ("set", "index")}


def test_no_hidden_layer_is_logistic_regression(client):
    state, frame = client.config(dict(XOR, hidden=[], head="sigmoid_ce"))
    assert state["sizes"] == [2, 1]
    client.send({"type": "step"})
    stepped, _ = client.until("stepped")
    after, _ = client.until("frame")
    x, labels = np.array(state["points"]["train"]["xy"]), np.array(state["points"]["train"]["label"])
    net = network_of(frame, state)
    gradients = net.backprop(x[stepped["batch"]], labels[stepped["batch"]].reshape(-1, 1).astype(float))
    assert np.array_equal(np.array(after["weights"][0]), np.array(frame["weights"][0]) - np.multiply(gradients.weights[0], 0.1))


def test_a_page_of_another_site_cannot_connect(app):
    from starlette.websockets import WebSocketDisconnect

    with TestClient(app) as test_client:
        with pytest.raises(WebSocketDisconnect):
            with test_client.websocket_connect("/ws", headers={"origin": "http://evil.example"}) as ws:
                ws.receive_json()
        with test_client.websocket_connect("/ws", headers={"origin": "http://testserver"}) as ws:
            assert Client(ws).alive()
    assert not app.state.connections


def test_with_dropout_hover_shows_the_network_without_its_masks(client):
    state, frame = client.config(dict(XOR, dropout=0.25))
    client.send({"type": "select", "set": "train", "index": 3, "mode": "sample"})
    numbers, _ = client.until("numbers")
    x, targets = train_data(state)
    gradients = network_of(frame, state).backprop(x[3:4], targets[3:4])  # Dense layers only
    assert numbers["dropout"] == 0.25
    for entry, gw in zip(numbers["layers"], gradients.weights):
        assert np.array_equal(entry["dw"], gw)
    client.send({"type": "step"})
    after, _ = client.until("frame")
    assert after["step"] == 1 and after["weights"] != frame["weights"]
