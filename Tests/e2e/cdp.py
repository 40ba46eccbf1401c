"""A small Chrome DevTools Protocol client over the standard library: starts headless
Chromium, connects to its page over a WebSocket, and sends commands (navigate, evaluate,
type, click, screenshot)."""
import base64
import json
import os
import re
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request


class Browser:
    def __init__(self, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="anneal-chromium-")
        binary = next(b for b in ("chromium", "chromium-browser", "google-chrome") if _which(b))
        self.process = subprocess.Popen(
            [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline, port = time.time() + 30, None
        while time.time() < deadline and port is None:
            line = self.process.stderr.readline().decode(errors="replace")
            match = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if match:
                port = int(match.group(1))
        assert port, "Chromium did not start its DevTools endpoint"
        pages = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        url = next(p["webSocketDebuggerUrl"] for p in pages if p["type"] == "page")
        self.socket = _websocket(url)
        self.next_id = 0

    def send(self, method, **params):
        """The result of one command; events that arrive meanwhile are dropped."""
        self.next_id += 1
        message = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        self.socket.sendall(_frame(message))
        while True:
            reply = json.loads(_read_message(self.socket))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (awaited when a promise)."""
        result = self.send("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=30):
        """Waits until the expression is truthy; returns its value."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {expression}")

    def navigate(self, url):
        self.send("Page.navigate", url=url)

    def type_text(self, text):
        self.send("Input.insertText", text=text)

    def key(self, name, code):
        """Presses and releases a key; Enter also types its carriage return (which submits forms
        and follows links)."""
        text = "\r" if name == "Enter" else ""
        self.send("Input.dispatchKeyEvent", type="keyDown" if text else "rawKeyDown", key=name, code=name,
                  windowsVirtualKeyCode=code, text=text, unmodifiedText=text)
        self.send("Input.dispatchKeyEvent", type="keyUp", key=name, code=name, windowsVirtualKeyCode=code)

    def click(self, selector):
        box = self.evaluate(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); e.scrollIntoView({{block: 'center'}});"
                            " const r = e.getBoundingClientRect();"
                            " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)

    def screenshot(self, path, width=None, height=None):
        if width:
            self.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=width < 600)
        data = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        if width:
            self.send("Emulation.clearDeviceMetricsOverride")

    def close(self):
        try:
            self.socket.close()
        finally:
            self.process.kill()
            self.process.wait(timeout=30)
            subprocess.run(["rm", "-rf", self.profile])


def _which(name):
    return any(os.access(os.path.join(d, name), os.X_OK) for d in os.environ.get("PATH", "").split(":"))


def _websocket(url):
    match = re.match(r"ws://([^:/]+):(\d+)(/.*)", url)
    host, port, path = match.group(1), int(match.group(2)), match.group(3)
    sock = socket.create_connection((host, port), timeout=60)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


def _frame(payload):
    """One masked text frame, as a client must send it."""
    mask = os.urandom(4)
    length = len(payload)
    header = bytes([0x81])
    if length < 126:
        header += bytes([0x80 | length])
    elif length < 65536:
        header += bytes([0x80 | 126]) + struct.pack(">H", length)
    else:
        header += bytes([0x80 | 127]) + struct.pack(">Q", length)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def _read_exact(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError("DevTools connection closed")
        data += chunk
    return data


def _read_message(sock):
    """One whole message (continuation frames joined); pings are ignored."""
    parts = []
    while True:
        first, second = _read_exact(sock, 2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack(">H", _read_exact(sock, 2))[0]
        elif length == 127:
            length = struct.unpack(">Q", _read_exact(sock, 8))[0]
        payload = _read_exact(sock, length)
        opcode = first & 0x0F
        if opcode in (0x9, 0xA):
            continue
        parts.append(payload)
        if first & 0x80:
            return b"".join(parts).decode()
