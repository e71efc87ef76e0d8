# SPDX-License-Identifier: GPL-2.0
"""Headless Chromium through chromedriver's WebDriver protocol, in the standard library.

The HTML report's tests (test_html.py) and its benchmark (bench/html_load.py)
open a page with it, wait until the page's script has drawn it (the body gets
data-rendered, or data-error), and then read the DOM with scripts, the
browser's console log and a screenshot. Debian's chromium and chromium-driver
(scripts/deps.sh) provide the two programs; without them Browser() raises
BrowserMissing, which callers turn into a failure.
"""

import base64
import http.client
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import zlib

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
START_TIMEOUT_S = 30
RENDER_TIMEOUT_S = 60


class BrowserMissing(Exception):
    pass


class BrowserError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One chromedriver and one headless Chromium session; close() ends both."""

    def __init__(self, width=1280, height=1800):
        for path in (CHROMIUM, CHROMEDRIVER):
            if not os.access(path, os.X_OK):
                raise BrowserMissing(f"{path} is missing: install chromium and chromium-driver "
                                     f"(scripts/deps.sh does)")
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="memvigil-chromium-")
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={self.port}"],
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
        self.session = None
        try:
            self._wait_driver()
            caps = {"browserName": "chrome",
                    "goog:loggingPrefs": {"browser": "ALL"},
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--disable-dev-shm-usage", "--no-first-run",
                                 f"--user-data-dir={self.profile}",
                                 f"--window-size={width},{height}"]}}
            r = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})
            self.session = r["sessionId"]
        except BaseException:
            self.close()
            raise

    def _wait_driver(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.driver.poll() is not None:
                raise BrowserError(f"chromedriver exited with status {self.driver.returncode}")
            try:
                if self._call("GET", "/status", timeout=2).get("ready"):
                    return
            except (OSError, BrowserError):
                pass
            time.sleep(0.1)
        raise BrowserError(f"chromedriver did not answer within {START_TIMEOUT_S} s")

    def _call(self, method, path, body=None, timeout=RENDER_TIMEOUT_S):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json"} if data else {})
            resp = conn.getresponse()
            payload = json.loads(resp.read() or b"{}")
        finally:
            conn.close()
        value = payload.get("value", payload)
        if resp.status != 200:
            err = value.get("message", value) if isinstance(value, dict) else value
            raise BrowserError(f"WebDriver {method} {path}: {resp.status} {str(err)[:400]}")
        return value

    def _s(self, method, path, body=None):
        return self._call(method, f"/session/{self.session}{path}", body)

    def open(self, path, fragment=""):
        """Load the file and wait for its script to finish drawing; seconds it took."""
        t0 = time.monotonic()
        self._s("POST", "/url", {"url": "file://" + os.path.abspath(path) + fragment})
        self.wait_rendered()
        return time.monotonic() - t0

    def wait_rendered(self):
        deadline = time.monotonic() + RENDER_TIMEOUT_S
        while time.monotonic() < deadline:
            state = self.run("return [document.body && document.body.getAttribute('data-rendered'),"
                             " document.body && document.body.getAttribute('data-error')]")
            if state[1] is not None:
                raise BrowserError(f"the page says: {state[1]}")
            if state[0] is not None:
                return float(state[0])
            time.sleep(0.05)
        raise BrowserError(f"the page did not finish drawing within {RENDER_TIMEOUT_S} s")

    def run(self, script, *args):
        """The value of a function body run in the page (WebDriver execute/sync)."""
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def console(self):
        """The browser console's entries since the last call: [{level, message}]."""
        return self._s("POST", "/se/log", {"type": "browser"})

    def screenshot(self, path):
        png = base64.b64decode(self._s("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return png

    def close(self):
        if self.session:
            try:
                self._call("DELETE", f"/session/{self.session}", timeout=15)
            except (OSError, BrowserError):
                pass
            self.session = None
        if self.driver.poll() is None:
            self.driver.terminate()
            try:
                self.driver.wait(10)
            except subprocess.TimeoutExpired:
                self.driver.kill()
                self.driver.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def png_colors(png, max_rows=640):
    """(width, height, number of distinct colours in the top max_rows rows) of an
    8-bit RGB/RGBA PNG."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise BrowserError("the screenshot is not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        chunk = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            if depth != 8 or ctype not in (2, 6):
                raise BrowserError(f"unexpected PNG format: depth {depth}, colour type {ctype}")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompressobj().decompress(idat, (width * bpp + 1) * min(height, max_rows))
    stride = width * bpp
    prev = bytearray(stride)
    colors = set()
    for y in range(min(height, max_rows)):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xff
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xff
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        if y % 4 == 0:
            for x in range(0, stride, bpp * 4):
                colors.add(bytes(line[x:x + 3]))
        prev = line
    return width, height, len(colors)
