"""Take docs/playground.png and docs/playground-trace.png with headless Chromium (Debian's).

    PYTHONPATH=src python docs/playground_screenshots.py
"""

import os
import shutil
import socket
import subprocess
import sys
import time

from playwright.sync_api import sync_playwright

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "bprop", "playground", "--no-browser", "--port", str(port)],
                              stdout=subprocess.PIPE, text=True)
    server.stdout.readline()
    url = f"http://127.0.0.1:{port}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 760})
            page.goto(url + "#dataset=spiral&noise=10&features=x1,x2,x1sq,x2sq,sinx1,sinx2&hidden=8,8,4"
                      "&activation=tanh&eta=0.01&speed=20&optimizer=adam&points=500")
            page.wait_for_function("window.pg && pg.frame && pg.state")
            page.click("#play")
            page.wait_for_function("pg.frame.step >= 6000", timeout=120_000)
            page.click("#play")
            page.wait_for_function("!pg.playing")
            page.click("#boundary", position={"x": 200, "y": 110})
            time.sleep(0.3)
            page.hover("#n-2-3")
            page.wait_for_selector("#card:not([hidden])")
            time.sleep(0.3)
            page.screenshot(path=os.path.join(HERE, "playground.png"))

            page.goto(url + "#dataset=xor&hidden=3&activation=tanh&head=softmax_ll&eta=0.1")
            page.reload()
            page.wait_for_function("window.pg && pg.frame && pg.state && pg.state.sizes.join() === '2,3,2'")
            page.click("#step")
            page.click("#explain")
            page.wait_for_selector("#explain-body math")
            time.sleep(0.5)
            panel = page.locator("#explain-panel")
            box = panel.bounding_box()
            page.set_viewport_size({"width": 1400, "height": int(box["y"] + 1300)})
            page.screenshot(path=os.path.join(HERE, "playground-trace.png"),
                            clip={"x": box["x"], "y": box["y"], "width": box["width"], "height": 1250})
            browser.close()
    finally:
        server.terminate()
        server.communicate(timeout=15)


if __name__ == "__main__":
    main()
