"""The playground in a real browser: Playwright for Python driving Debian's Chromium.

`bprop playground --no-browser --port N` runs as a subprocess; the tests press its
buttons and hover its neurons and weights, and check the numbers the page shows
against ``Network.backprop`` computed here for the same weights and sample.
Never `playwright install`: the browser is Debian's (`apt-get install -y chromium`).
"""

import math
import os
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("uvicorn", reason='the playground extra is missing: pip install "bprop[playground]"')
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is missing: pip install playwright")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("Chromium not found; install Debian's: apt-get install -y chromium", allow_module_level=True)

import bprop  # noqa: E402
from bprop.explain import network_from_arrays  # noqa: E402

XOR = "#dataset=xor&hidden=8,8&activation=tanh&head=softmax_ll&eta=0.1&speed=20&points=300&batch=10"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bprop", "playground", "--no-browser", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    line = proc.stdout.readline()
    assert f"http://127.0.0.1:{port}/" in line, proc.stderr.read()
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    proc.communicate(timeout=15)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server + XOR)
    page.wait_for_function("window.pg && pg.frame && pg.state && pg.state.sizes.join() === '2,8,8,2'")
    yield page
    context.close()
    assert not errors, errors


def js(page, expression):
    return page.evaluate(expression)


def step_once(page):
    before = js(page, "pg.frame.step")
    page.click("#step")
    page.wait_for_function(f"pg.frame.step === {before + 1} && pg.numbers && pg.numbers.step === {before + 1}")


def network_and_data(page):
    """The page's current weights (as the server sent them) as a network built here, and the training data."""
    frame, state = js(page, "pg.frame"), js(page, "pg.state")
    net = network_from_arrays(frame["weights"], frame["biases"], "tanh", "softmax", "log_likelihood")
    x = np.array(state["points"]["train"]["xy"])
    targets = np.eye(2)[np.array(state["points"]["train"]["label"])]
    return net, x, targets, frame


def shown(page, key) -> float:
    return float(page.locator(f'#card .num[data-key="{key}"]').first.inner_text())


def same_to_shown_digits(text_value: float, exact: float) -> bool:
    """The page shows 5 significant digits."""
    if exact == 0:
        return text_value == 0
    ulp = 10 ** (math.floor(math.log10(abs(exact))) - 4)
    return abs(text_value - exact) <= 0.5 * ulp * 1.0001


FIND_POINT = """id => {
    const path = document.getElementById(id), total = path.getTotalLength(), svg = path.ownerSVGElement.getBoundingClientRect();
    for (let t = 0.05; t < 0.95; t += 0.01) {
        const p = path.getPointAtLength(total * t), x = svg.left + p.x, y = svg.top + p.y;
        if (document.elementFromPoint(x, y) === path) return [x, y];
    }
    return null;
}"""


def hover_link(page, hit_id):
    """Move the mouse onto a point of the connection that no other connection covers."""
    point = page.evaluate(FIND_POINT, hit_id)
    assert point, f"no free point on {hit_id}"
    page.mouse.move(*point)


def test_play_brings_the_xor_test_loss_down(page):
    start = js(page, "pg.frame.test_loss")
    page.click("#play")
    page.wait_for_function("pg.frame.test_loss !== null && pg.frame.test_loss < 0.1", timeout=60_000)
    page.click("#play")  # pause
    page.wait_for_function("!pg.playing")
    assert start > 0.5 and js(page, "pg.frame.step") > 0


def test_hover_shows_backprop_numbers_of_a_hidden_neuron_and_a_weight(page):
    step_once(page)
    net, x, targets, frame = network_and_data(page)
    sample = js(page, "pg.numbers")
    assert sample["mode"] == "sample" and sample["set"] == "train" and sample["index"] == 0
    gradients = net.backprop(x[:1], targets[:1])
    page.hover("#n-1-2")  # hidden layer 1, neuron 3
    page.wait_for_selector("#card:not([hidden])")
    assert "BP2" in page.inner_text("#card")
    for key, exact in (("delta", gradients.biases[0][2]), ("db", gradients.biases[0][2])):
        assert same_to_shown_digits(shown(page, key), exact), (key, shown(page, key), exact)
    page.mouse.move(1, 1)
    hover_link(page, "hit-2-4-6")  # w^2_57: neuron 7 of layer 1 -> neuron 5 of layer 2
    page.wait_for_function("document.querySelector('#card h3') && document.querySelector('#card h3').textContent.includes('neuron 7 of layer 1')")
    assert "BP4" in page.inner_text("#card")
    assert same_to_shown_digits(shown(page, "w"), frame["weights"][1][4][6])
    assert same_to_shown_digits(shown(page, "dw"), gradients.weights[1][4, 6])
    assert same_to_shown_digits(shown(page, "step"), 0.1 * gradients.weights[1][4, 6])
    assert js(page, "pg.lastHoverMs") < 1000  # measured properly in bench/playground.py


def test_with_adam_the_cards_say_their_step_is_the_plain_sgd_one(page):
    page.select_option("#optimizer", "adam")
    page.wait_for_function("pg.numbers && pg.numbers.optimizer === 'adam'")
    page.hover("#n-2-0")  # the neuron card claimed 'b ← b − η ∂C/∂b' with nothing said
    page.wait_for_selector("#card:not([hidden])")
    assert "adam turns ∂C/∂b into its own step" in page.inner_text("#card")
    page.mouse.move(1, 1)
    hover_link(page, "hit-2-4-6")
    page.wait_for_function("document.querySelector('#card h3').textContent.includes('weight')")
    assert "adam turns ∂C/∂w into its own step" in page.inner_text("#card")


def test_step_moves_every_weight_by_exactly_minus_eta_times_backprop(page):
    net, x, targets, before = network_and_data(page)
    step_once(page)
    after, batch = js(page, "pg.frame"), js(page, "pg.lastStepped.batch")
    gradients = net.backprop(x[batch], targets[batch])
    for w0, w1, g in zip(before["weights"], after["weights"], gradients.weights):
        assert np.array_equal(np.array(w1), np.array(w0) - np.multiply(g, 0.1))


def click_point(page, which, index):
    """Click the boundary picture on a point of the data (the page picks the nearest one)."""
    x, y = js(page, f"pg.state.points.{which}.xy[{index}]")
    box, radius = page.locator("#boundary").bounding_box(), js(page, "pg.state.radius")
    page.mouse.click(box["x"] + (x + radius) / (2 * radius) * box["width"],
                     box["y"] + (radius - y) / (2 * radius) * box["height"])


def selection_agrees(page):
    """The page's selected sample (ring, 'Selected:' text) is the one the hover numbers are of."""
    selected, numbers = js(page, "pg.selected"), js(page, "pg.numbers")
    text = page.inner_text("#selected")
    return ((selected["set"], selected["index"]) == (numbers["set"], numbers["index"])
            and f"#{selected['index']}." in text and ("test" in text) == (selected["set"] == "test"))


def test_the_selected_sample_survives_reset_and_a_new_network_on_page_and_server(page):
    click_point(page, "test", 3)
    page.wait_for_function("pg.numbers && pg.numbers.set === 'test'")
    chosen = js(page, "pg.selected")
    step_once(page)
    page.click("#reset")
    page.wait_for_function("pg.frame.step === 0 && pg.numbers.step === 0")
    assert selection_agrees(page) and js(page, "pg.selected") == chosen
    page.select_option("#activation", "sigmoid")  # a new network, the same data
    page.wait_for_function("pg.state.activations[0] === 'sigmoid' && pg.numbers.step === 0")
    assert selection_agrees(page) and js(page, "pg.selected") == chosen


def test_the_play_button_says_what_the_server_does(page):
    page.click("#play")
    page.wait_for_function("pg.frame.step > 0 && pg.playing")
    page.click("#step")  # the server pauses for a step; the button kept saying 'pause'
    page.wait_for_function("pg.lastStepped && !pg.frame.playing")
    assert not js(page, "pg.playing") and "play" in page.inner_text("#play")
    page.click("#play")  # one click plays again (it took two)
    page.wait_for_function("pg.frame.playing")
    page.click("#play")
    page.wait_for_function("!pg.frame.playing && !pg.playing")


def test_a_refused_setting_puts_the_one_in_effect_back_in_its_input(page):
    for field, bad in (("#eta", "0"), ("#batch", "0"), ("#dropout", "0.95")):
        before = page.input_value(field)
        page.fill(field, bad)
        page.locator(field).blur()
        page.wait_for_selector("#error:not([hidden])")
        page.wait_for_function(f"document.querySelector('{field}').value === '{before}'")
        page.evaluate("document.getElementById('error').hidden = true")
    assert js(page, "pg.state.settings.eta") == 0.1 and js(page, "pg.state.settings.batch") == 10


def test_a_lost_server_stays_said_on_the_page(browser):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bprop", "playground", "--no-browser", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    page = browser.new_page()
    try:
        assert f"127.0.0.1:{port}/" in proc.stdout.readline()
        page.goto(f"http://127.0.0.1:{port}/{XOR}")
        page.wait_for_function("window.pg && pg.frame && pg.state")
        page.evaluate("pg.errorMs = 200")  # other errors hide after this (10 s on the page)
        page.click("#play")
        page.wait_for_function("pg.frame.step > 0")
        proc.terminate()
        proc.communicate(timeout=15)
        page.wait_for_function("document.getElementById('error').textContent.includes('connection')")
        time.sleep(1)  # the message hid after 10 s, leaving a page that looked alive and did nothing
        assert "connection to the playground server closed" in page.inner_text("#error")
        assert page.is_visible("#error") and "play" in page.inner_text("#play") and not js(page, "pg.playing")
        page.click("#step")
        assert page.is_visible("#error")
    finally:
        page.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_a_diverged_network_has_no_hover_card_of_its_old_numbers(page):
    page.evaluate("change({dataset: 'gauss', activation: 'identity', eta: 10, speed: 5, "
                  "features: ['x1', 'x2', 'x1sq', 'x2sq', 'x1x2']})")
    page.wait_for_function("pg.state.settings.eta === 10 && pg.numbers && pg.numbers.step === 0")
    page.hover("#n-1-0")
    page.wait_for_selector("#card:not([hidden])")
    page.click("#play")  # the mouse leaves the neuron for the button: hover it again while it trains
    page.hover("#n-1-0")
    page.wait_for_function("pg.frame.train_loss === null && !pg.playing")
    assert js(page, "document.getElementById('card').hidden") and js(page, "pg.numbers") is None
    assert "diverged" in page.inner_text("#error")


def test_csv_upload_export_and_load(page, tmp_path):
    rows = "\n".join(f"{x:.3f},{(x * 7) % 5 - 2.5:.3f},{int(x > 0)}" for x in np.linspace(-5, 5, 60))
    csv = tmp_path / "points.csv"
    csv.write_text("x1,x2,label\n" + rows + "\n")
    page.set_input_files("#csv", str(csv))
    page.wait_for_function("pg.state.settings.dataset === 'upload'")
    assert js(page, "pg.state.points.train.xy.length + pg.state.points.test.xy.length") == 60
    assert "dataset=upload" in page.url
    step_once(page)
    with page.expect_download() as info:
        page.click("#export-npz")
    path = tmp_path / "model.npz"
    info.value.save_as(path)
    net = bprop.load(path)
    weights = js(page, "pg.frame.weights")
    assert net.sizes == [2, 8, 8, 2]
    assert all(np.array_equal(w, np.array(v)) for w, v in zip(net.weights, weights))
    page.click("#reset")
    page.wait_for_function("pg.frame.step === 0")
    frames = js(page, "pg.stats.frames")
    page.set_input_files("#modelfile", str(path))
    page.wait_for_function(f"pg.stats.frames > {frames}")
    loaded = js(page, "pg.frame.weights")
    assert all(np.array_equal(np.array(a), np.array(b)) for a, b in zip(loaded, weights))


def test_malformed_websocket_messages_show_errors_and_the_page_keeps_working(page):
    for bad in ("garbage", '{"type": "config", "settings": {"hidden": [1,1,1,1,1,1,1,1,1]}}', '{"type": "select", "index": 10000}'):
        page.evaluate("text => pg.ws.send(text)", bad)
        page.wait_for_selector("#error:not([hidden])")
        assert page.inner_text("#error")
        page.evaluate("document.getElementById('error').hidden = true")
    step_once(page)
    page.click("#explain")
    page.wait_for_selector("#explain-body math")
    assert "BP2" in page.inner_text("#explain-panel")


def test_a_bad_link_shows_the_error_and_starts_from_the_defaults(browser, server):
    page = browser.new_page()
    try:
        page.goto(server + "#hidden=99,2&dataset=upload")
        page.wait_for_function("window.pg && pg.state && pg.frame")
        assert "from 1 to 32" in page.inner_text("#error")
        assert js(page, "pg.state.settings.hidden") == [4, 2] and "hidden=4%2C2" in page.url
    finally:
        page.close()
