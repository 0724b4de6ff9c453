"""The playground's feel, measured in headless Chromium: steps/s, redraws/s and hover latency.

Targets (issue 19): a 2-8-8-2 network (tanh, softmax + log-likelihood) on 500 points
shows at least 30 SGD steps per second with the decision boundary and every neuron's
heatmap redrawn at least 15 times per second; a hover card shows its numbers within
50 ms of the mouse event.

    PYTHONPATH=src python bench/playground.py [--seconds 10] [--out bench/PLAYGROUND_RESULTS.json]

It starts `python -m bprop playground --no-browser --port N`, opens the page in Debian's
Chromium through Playwright (never `playwright install`), presses play at several
"steps / frame" settings and counts, in the page, the frames drawn and the step
counter shown. Hover latency is measured in the page, from the mouseenter event's
timestamp to the card filled with numbers: paused, and while playing, until the card
shows the numbers of the weights drawn when the hover began or newer (small networks
receive them with every frame; bigger ones ask for them). The machine and its load (1-minute load average before
and after) are recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HASH = "#dataset=xor&points=500&hidden=8,8&activation=tanh&head=softmax_ll&eta=0.03&batch=10&speed={speed}"
SPEEDS = (1, 2, 5, 20)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure_play(page, speed: int, seconds: float) -> dict:
    page.evaluate(f"""() => {{ const s = Object.assign({{}}, pg.settings, {{speed: {speed}}});
                       pg.ws.send(JSON.stringify({{type: "config", settings: s}}));
                       pg.ws.send(JSON.stringify({{type: "reset"}})); }}""")
    page.wait_for_function(f"pg.settings.speed === {speed} && pg.frame.step === 0")
    page.click("#play")
    page.wait_for_function("pg.playing && pg.frame.step > 0")
    time.sleep(1.0)  # warm-up
    start = page.evaluate("({t: performance.now(), drawn: pg.stats.drawn, step: pg.stats.lastStep, ms: pg.stats.drawMs})")
    time.sleep(seconds)
    end = page.evaluate("({t: performance.now(), drawn: pg.stats.drawn, step: pg.stats.lastStep, ms: pg.stats.drawMs})")
    page.click("#play")
    page.wait_for_function("!pg.playing")
    elapsed = (end["t"] - start["t"]) / 1000
    drawn = end["drawn"] - start["drawn"]
    return {
        "steps_per_frame": speed,
        "seconds": round(elapsed, 3),
        "steps_per_s": round((end["step"] - start["step"]) / elapsed, 1),
        "redraws_per_s": round(drawn / elapsed, 1),
        "draw_ms_per_frame": round((end["ms"] - start["ms"]) / max(drawn, 1), 2),
    }


def neuron_centres(page) -> list:
    return page.evaluate("""() => [...document.querySelectorAll('.neuron')].filter(n => n.dataset.l > 0).map(n => {
        const r = n.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })""")


def measure_hover(page, playing: bool, count: int = 30) -> dict:
    centres = neuron_centres(page)
    if playing:
        page.click("#play")
        page.wait_for_function("pg.playing")
    latencies = []
    for i in range(count):
        page.mouse.move(5, 5)
        time.sleep(0.05)
        x, y = centres[i % len(centres)]
        page.mouse.move(x, y)
        key = "pg.hoverFreshMs" if playing else "pg.lastHoverMs"
        page.wait_for_function(f"pg.hover && {key} !== null && {key} !== undefined")
        latencies.append(page.evaluate(key))
        if not playing:
            page.evaluate("pg.lastHoverMs = null")
    page.mouse.move(5, 5)
    if playing:
        page.click("#play")
        page.wait_for_function("!pg.playing")
    latencies.sort()
    return {
        "hovers": count,
        "median_ms": round(statistics.median(latencies), 2),
        "p90_ms": round(latencies[int(0.9 * (count - 1))], 2),
        "max_ms": round(latencies[-1], 2),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of play per setting (default 10)")
    parser.add_argument("--out", default=os.path.join(HERE, "PLAYGROUND_RESULTS.json"))
    args = parser.parse_args(argv)

    chromium = shutil.which("chromium")
    if chromium is None:
        print("Chromium not found; install Debian's: apt-get install -y chromium", file=sys.stderr)
        return 2
    sys.path.insert(0, HERE)
    from machine import describe  # noqa: E402  (bench/machine.py)
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "bprop", "playground", "--no-browser", "--port", str(port)],
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    server.stdout.readline()
    results = {"play": [], "hover": {}}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/" + HASH.format(speed=SPEEDS[0]))
            page.wait_for_function("window.pg && pg.frame && pg.state && pg.state.sizes.join() === '2,8,8,2'")
            for speed in SPEEDS:
                row = measure_play(page, speed, args.seconds)
                results["play"].append(row)
                print(f"{speed:>3} steps/frame: {row['steps_per_s']:7.1f} steps/s shown, "
                      f"{row['redraws_per_s']:5.1f} redraws/s (boundary + {8 + 8 + 2} neuron heatmaps), "
                      f"{row['draw_ms_per_frame']:.2f} ms drawing per frame", flush=True)
            page.click("#step")
            page.wait_for_function("pg.frame.step > 0")
            results["hover"]["paused"] = measure_hover(page, playing=False)
            results["hover"]["playing"] = measure_hover(page, playing=True)
            for mode, row in results["hover"].items():
                print(f"hover latency ({mode}): median {row['median_ms']} ms, p90 {row['p90_ms']} ms, max {row['max_ms']} ms")
            results["browser"] = browser.version
            browser.close()
    finally:
        server.terminate()
        server.communicate(timeout=15)
    results["load_avg_before"] = load_before
    results["load_avg_after"] = os.getloadavg()
    results["machine"] = describe(threads=None)
    results["network"] = "2-8-8-2 tanh, softmax + log-likelihood, XOR, 500 points (250 train), batch 10, SGD eta 0.03"
    results["targets"] = {"steps_per_s": 30, "redraws_per_s": 15, "hover_ms": 50}
    with open(args.out, "w") as handle:
        json.dump(results, handle, indent=1)
    print(f"load average before {load_before[0]:.2f}, after {results['load_avg_after'][0]:.2f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    import machine

    machine.use_this_tree()  # serve this checkout's bprop (the server inherits PYTHONPATH), not an installed one
    sys.exit(main())
