#!/usr/bin/env python3
"""Browser end-to-end run of the sealed-session demo.

Starts the demo binary (PORT=0, a fresh SQLite file) and chromedriver on
loopback, and drives headless Chromium over the W3C WebDriver protocol with
plain urllib (nothing is downloaded). Two browser profiles:

  A signs up, increments the counter, reloads;
  B logs in as the same user; C too, and B logs C out from its
  "your sessions" page; then B clicks "Log out everywhere";
  A reloads and must be signed out, its cookie cleared.

Then the size cap: the demo sets a sealed cookie of exactly 4096 bytes of
name+value and an unsealed control cookie of 4097; Chromium must send the
first back (and it must open) and drop the second, and the demo reports that
the crate refused to seal one byte more.

Then cookie tossing: a second demo runs with DEMO_COOKIE_NAME=demo-session
(no __Host- prefix). Chromium maps *.example.test to 127.0.0.1
(--host-resolver-rules) and treats both origins as secure. "mallory" signs
up over urllib and a tiny attacker server on evil.example.test plants his
valid cookie with Domain=example.test; the victim, signed in as alice on
app.example.test, reloads: she must be shown as not signed in, never as
mallory, and keep her own host-only cookie next to the planted one (the
engine sends no removal), also after logging in again. Then the same plant
against the default __Host-demo-session: Chromium must refuse it and alice
stays alice. Chromium sets no __Host- cookie over plain HTTP from a
non-loopback host whatever the flags, so this part runs over TLS (a
throwaway self-signed certificate made with the openssl CLI, a forwarder in
front of the demo, --ignore-certificate-errors).

Exit status 0 only if every check passed; any failure, including a browser
that cannot start, exits non-zero. All processes and temporary directories
are cleaned up. Only 127.0.0.1 is contacted.
"""

import argparse
import json
import os
import queue
import re
import shutil
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import http.server
import urllib.error
import urllib.parse
import urllib.request

COOKIE_NAME = "__Host-demo-session"
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
    "--window-size=1000,900",
]
OVERALL_TIMEOUT = 270  # seconds, for the whole run
WAIT = 20  # seconds, for one condition

# urllib without any proxy from the environment: everything here is loopback.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def log(msg):
    print(f"e2e: {msg}", flush=True)


class Checks:
    def __init__(self):
        self.passed = 0

    def check(self, condition, what):
        if not condition:
            raise AssertionError(what)
        self.passed += 1
        log(f"ok   {what}")


class WebDriverError(Exception):
    pass


class Browser:
    """One WebDriver session = one Chromium with its own profile directory."""

    def __init__(self, driver_url, chromium, profile_dir, label, shots, extra_args=()):
        self.driver_url = driver_url
        self.label = label
        self.shots = shots
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": {
                        "binary": chromium,
                        "args": CHROME_FLAGS + [f"--user-data-dir={profile_dir}"] + list(extra_args),
                    },
                }
            }
        }
        value = self._call("POST", "/session", caps, timeout=60)
        self.session = value["sessionId"]
        self.base = f"/session/{self.session}"
        caps = value.get("capabilities", {})
        self.version = caps.get("browserVersion", "?")

    def _call(self, method, path, body=None, timeout=30):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.driver_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        try:
            with HTTP.open(req, timeout=timeout) as resp:
                payload = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")[:2000]
            raise WebDriverError(f"{method} {path}: HTTP {err.code}: {detail}") from None
        return payload.get("value")

    def cmd(self, method, path, body=None):
        return self._call(method, self.base + path, body)

    def get(self, url):
        self.cmd("POST", "/url", {"url": url})

    def refresh(self):
        self.cmd("POST", "/refresh", {})

    def url(self):
        return self.cmd("GET", "/url")

    def find(self, css):
        """The element's id, or None if there is none."""
        found = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        if not found:
            return None
        return next(iter(found[0].values()))

    def text(self, css):
        el = self.find(css)
        return None if el is None else self.cmd("GET", f"/element/{el}/text")

    def wait_text(self, css, expected=None):
        """Waits until the element exists (and has `expected` text, if given)."""
        deadline = time.monotonic() + WAIT
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.text(css)
            except WebDriverError:
                last = None  # the page is being replaced
            if last is not None and (expected is None or last == expected):
                return last
            time.sleep(0.05)  # polling a condition, bounded by WAIT
        raise AssertionError(f"[{self.label}] {css}: wanted {expected!r}, last saw {last!r}")

    def type(self, css, text):
        el = self.find(css)
        if el is None:
            raise AssertionError(f"[{self.label}] no element {css}")
        self.cmd("POST", f"/element/{el}/clear", {})
        self.cmd("POST", f"/element/{el}/value", {"text": text})

    def click(self, css):
        el = self.find(css)
        if el is None:
            raise AssertionError(f"[{self.label}] no element {css}")
        self.cmd("POST", f"/element/{el}/click", {})

    def attribute(self, css, name):
        el = self.find(css)
        if el is None:
            raise AssertionError(f"[{self.label}] no element {css}")
        return self.cmd("GET", f"/element/{el}/attribute/{name}")

    def cookies(self):
        return self.cmd("GET", "/cookie") or []

    def session_cookie(self, name=COOKIE_NAME):
        return next((c for c in self.cookies() if c.get("name") == name), None)

    def screenshot(self, name):
        if not self.shots:
            return
        import base64

        png = base64.b64decode(self.cmd("GET", "/screenshot"))
        path = os.path.join(self.shots, f"{name}.png")
        with open(path, "wb") as f:
            f.write(png)

    def quit(self):
        try:
            self._call("DELETE", self.base, timeout=20)
        except Exception as err:  # cleanup: report, go on
            log(f"[{self.label}] quit: {err}")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_process(argv, env=None):
    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,  # its own process group, killed as a whole
        text=True,
    )


def pump(proc, prefix, lines):
    """Echoes a process's output with a prefix and queues every line."""

    def run():
        for line in proc.stdout:
            line = line.rstrip("\n")
            print(f"{prefix}{line}", flush=True)
            lines.put(line)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def stop(proc, name):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            log(f"could not stop {name} (pid {proc.pid})")


def wait_ready(driver_url, proc):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chromedriver exited with {proc.returncode}")
        try:
            with HTTP.open(driver_url + "/status", timeout=2) as resp:
                if json.loads(resp.read()).get("value", {}).get("ready"):
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.05)  # polling readiness, bounded
    raise RuntimeError("chromedriver did not become ready in 30 s")


def start_demo(args, procs, tmp, label, extra_env=None):
    """Starts the demo (PORT=0, its own SQLite file); returns its base URL."""
    env = dict(os.environ)
    env.update({"PORT": "0", "DEMO_DB": os.path.join(tmp, f"{label}.sqlite3")})
    env.pop("SEALED_SESSION_KEYS", None)  # a random key: this run only
    env.pop("DEMO_COOKIE_NAME", None)
    env.update(extra_env or {})
    demo_lines = queue.Queue()
    demo = start_process([args.demo], env)
    procs.append((label, demo))
    pump(demo, f"{label}| ", demo_lines)
    base = None
    deadline = time.monotonic() + 60
    while base is None:
        try:
            line = demo_lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError(f"{label} did not start listening in 60 s") from None
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if m:
            base = m.group(1)
        if demo.poll() is not None and base is None:
            raise RuntimeError(f"{label} exited with {demo.returncode}")
    return base


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


NO_REDIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect())


def signup_cookie(base, username, password, cookie_name):
    """Signs up over plain HTTP (the attacker's own account); returns his cookie value."""
    data = urllib.parse.urlencode({"username": username, "password": password}).encode()
    req = urllib.request.Request(base + "/signup", data=data, method="POST")
    try:
        resp = NO_REDIRECT.open(req, timeout=20)
    except urllib.error.HTTPError as err:
        resp = err  # the 303 to "/"
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if name.strip() == cookie_name and value:
            return value
    raise AssertionError(f"signup as {username}: no {cookie_name} cookie in {resp.status}")


def start_attacker(procs_threads, set_cookie, ctx=None):
    """The attacker's page on a sibling subdomain: plants `set_cookie`. Returns its port."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = b"<!doctype html><title>evil</title><h1 id='status'>Nothing to see here</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Set-Cookie", set_cookie)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *a):
            log("attacker| " + (fmt % a))

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if ctx is not None:
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    procs_threads.append(server)
    return server.server_address[1]


def tls_context(tmp):
    """A throwaway self-signed certificate for *.example.test (openssl CLI)."""
    cert, key = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=example.test", "-addext", "subjectAltName=DNS:*.example.test,DNS:example.test",
         "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30,
    )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def tls_forwarder(servers, ctx, target_port):
    """TLS on 127.0.0.1:<port> in front of the demo's plain HTTP. Returns the port."""

    def pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            try:
                tls = ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                return
            upstream = socket.create_connection(("127.0.0.1", target_port), timeout=30)
            t = threading.Thread(target=pipe, args=(upstream, tls), daemon=True)
            t.start()
            pipe(tls, upstream)
            t.join(timeout=30)
            upstream.close()
            tls.close()

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
    return server.server_address[1]


def tossing(args, checks, browser, servers, base, cookie_name, label, ctx=None):
    """Cookie tossing: mallory plants his own valid session with Domain=example.test
    from evil.example.test; alice, signed in on app.example.test, must never be him."""
    app_port = int(base.rsplit(":", 1)[1])
    stamp = f"{os.getpid()}-{int(time.time())}"
    password = "e2e password 12345"
    mallory = f"mallory-{label}-{stamp}"
    alice = f"alice-{label}-{stamp}"
    mallory_value = signup_cookie(base, mallory, password, cookie_name)
    plant = f"{cookie_name}={mallory_value}; Domain=example.test; Path=/; Secure; SameSite=Lax"
    evil_port = start_attacker(servers, plant, ctx)
    if ctx is None:
        app = f"http://app.example.test:{app_port}"
        evil = f"http://evil.example.test:{evil_port}"
        flags = [f"--unsafely-treat-insecure-origin-as-secure={app},{evil}"]
    else:
        app = f"https://app.example.test:{tls_forwarder(servers, ctx, app_port)}"
        evil = f"https://evil.example.test:{evil_port}"
        flags = ["--ignore-certificate-errors"]
    v = browser(f"victim-{label}", ["--host-resolver-rules=MAP *.example.test 127.0.0.1"] + flags)
    tag = f"[tossing {label}]"
    v.get(app + "/")
    v.wait_text("#status", "You are not signed in")
    v.type("#signup-username", alice)
    v.type("#signup-password", password)
    v.click("#signup-submit")
    checks.check(v.wait_text("#whoami", alice) == alice, f"{tag} victim signed in as alice on app.example.test")
    own = v.session_cookie(cookie_name)
    checks.check(own is not None and own.get("domain") == "app.example.test", f"{tag} her cookie is host-only: {own and own.get('domain')}")
    v.get(evil + "/")
    v.wait_text("#status", "Nothing to see here")
    planted = [c for c in v.cookies() if c.get("name") == cookie_name]
    return v, tag, app, alice, mallory, password, planted


def seen(v):
    """(status line, user shown or None) of the page on screen."""
    status = v.wait_text("#status")
    return status, v.text("#whoami")


def tossing_unprefixed(args, checks, browser, servers, base, name):
    v, tag, app, alice, mallory, password, planted = tossing(args, checks, browser, servers, base, name, "unprefixed")
    checks.check(len(planted) == 1 and planted[0].get("domain") == ".example.test",
                 f"{tag} Chromium accepted the planted Domain=example.test cookie: {[c.get('domain') for c in planted]}")
    v.get(app + "/")
    for n in (1, 2, 3):
        if n > 1:
            v.refresh()
        status, who = seen(v)
        checks.check(who != mallory and status == "You are not signed in",
                     f"{tag} load {n} with both cookies: {status!r}, never mallory")
    v.screenshot("tossing-unprefixed")
    mine = sorted(c.get("domain") for c in v.cookies() if c.get("name") == name)
    checks.check(mine == [".example.test", "app.example.test"],
                 f"{tag} her own cookie was not deleted: Chromium holds two {name} cookies {mine}")
    # Any further request: the sessions page, logging in again, the home page.
    v.get(app + "/sessions")
    status, who = seen(v)
    checks.check(who != mallory, f"{tag} /sessions: {status!r}, not mallory")
    v.get(app + "/")
    v.wait_text("#status")
    if v.find("#logout") is not None:
        v.click("#logout")
    elif v.find("#login-username") is not None:
        v.type("#login-username", alice)
        v.type("#login-password", password)
        v.click("#login-submit")
    for n in (1, 2):
        if n > 1:
            v.refresh()
        status, who = seen(v)
        checks.check(who != mallory, f"{tag} after logging in again, load {n}: {status!r}, never mallory")
    mine = [c for c in v.cookies() if c.get("name") == name]
    checks.check(any(c.get("domain") == "app.example.test" for c in mine),
                 f"{tag} she still holds a host-only cookie of her own ({len(mine)} {name} cookies)")


def tossing_host_prefixed(args, checks, browser, servers, base, ctx):
    v, tag, app, alice, mallory, password, planted = tossing(args, checks, browser, servers, base, COOKIE_NAME, "host", ctx)
    checks.check(planted == [], f"{tag} Chromium refused the planted {COOKIE_NAME} cookie with Domain=")
    v.get(app + "/")
    for n in (1, 2, 3):
        if n > 1:
            v.refresh()
        status, who = seen(v)
        checks.check(who == alice, f"{tag} load {n}: still alice ({status!r})")
    mine = [c.get("domain") for c in v.cookies() if c.get("name") == COOKIE_NAME]
    checks.check(mine == ["app.example.test"], f"{tag} one {COOKIE_NAME} cookie, hers: {mine}")


def run(args, checks, procs, browsers, tmp):
    # ---- the demo ------------------------------------------------------------
    base = start_demo(args, procs, tmp, "demo")
    log(f"demo at {base}")

    # ---- chromedriver -------------------------------------------------------------
    port = free_port()
    driver = start_process([args.chromedriver, f"--port={port}", "--allowed-ips=127.0.0.1"])
    procs.append(("chromedriver", driver))
    pump(driver, "chromedriver| ", queue.Queue())
    driver_url = f"http://127.0.0.1:{port}"
    wait_ready(driver_url, driver)

    def browser(label, extra_args=()):
        profile = tempfile.mkdtemp(prefix=f"profile-{label}-", dir=tmp)
        b = Browser(driver_url, args.chromium, profile, label, args.screenshots, extra_args)
        browsers.append(b)
        return b

    a = browser("A")
    log(f"Chromium {a.version} started (profile A)")
    user = f"e2e-{os.getpid()}-{int(time.time())}"
    password = "e2e password 12345"

    # ---- A: sign up, counter ------------------------------------------------------
    a.get(base + "/")
    a.wait_text("#status", "You are not signed in")
    a.type("#signup-username", user)
    a.type("#signup-password", password)
    a.click("#signup-submit")
    checks.check(a.wait_text("#whoami", user) == user, f"[A] signed up and signed in as {user}")
    checks.check(a.wait_text("#counter") == "0", "[A] counter starts at 0")
    cookie = a.session_cookie()
    checks.check(cookie is not None, f"[A] Chromium stored the {COOKIE_NAME} cookie")
    checks.check(
        cookie.get("secure") is True and cookie.get("httpOnly") is True and cookie.get("sameSite") == "Lax",
        f"[A] cookie flags: Secure={cookie.get('secure')} HttpOnly={cookie.get('httpOnly')} "
        f"SameSite={cookie.get('sameSite')} ({len(cookie.get('value', ''))} characters)",
    )
    for n in (1, 2):
        a.click("#increment")
        a.wait_text("#counter", str(n))
    a.screenshot("a-counter")
    checks.check(True, "[A] counter incremented 0 -> 1 -> 2")
    a.refresh()
    checks.check(a.wait_text("#counter") == "2", "[A] reload keeps the counter at 2 (it is in the cookie)")

    # ---- B: same user, log out everywhere ----------------------------------------
    b = browser("B")
    b.get(base + "/")
    b.wait_text("#status", "You are not signed in")
    b.type("#login-username", user)
    b.type("#login-password", password)
    b.click("#login-submit")
    checks.check(b.wait_text("#whoami", user) == user, f"[B] second profile logged in as {user}")
    checks.check(b.wait_text("#counter") == "0", "[B] has its own session (counter 0)")

    # ---- C: a third device, logged out from B's "your sessions" page ---------------
    c = browser("C")
    c.get(base + "/")
    c.wait_text("#status", "You are not signed in")
    c.type("#login-username", user)
    c.type("#login-password", password)
    c.click("#login-submit")
    checks.check(c.wait_text("#whoami", user) == user, f"[C] third profile logged in as {user}")
    c.get(base + "/sessions")
    c.wait_text("#whoami", user)
    c_row = c.attribute("tr[data-this-device]", "id") or ""
    checks.check(c_row.startswith("session-"), f"[C] its own row on the sessions page: {c_row!r}")
    c_id = c_row.removeprefix("session-")
    b.get(base + "/sessions")
    b.wait_text("#whoami", user)
    table = b.text("#sessions") or ""
    checks.check(
        table.count("Log out this device") == 3 and table.count("(this device)") == 1,
        "[B] the sessions page lists 3 active sessions, one of them this device",
    )
    b.screenshot("b-sessions")
    b.click(f"#end-{c_id}")
    msg = b.wait_text("#message")
    checks.check(msg == "That device is logged out.", f"[B] logged C out from the sessions page: {msg!r}")
    c.get(base + "/")
    status = c.wait_text("#status")
    checks.check(status == "You are not signed in", f"[C] signed out after B ended its session: {status!r}")
    checks.check(c.session_cookie() is None, "[C] its revoked cookie was cleared")
    b.get(base + "/")
    checks.check(b.wait_text("#whoami", user) == user, "[B] still signed in")

    b.click("#logout-everywhere")
    msg = b.wait_text("#message")
    checks.check(msg.startswith("You are logged out everywhere"), f"[B] clicked 'Log out everywhere': {msg!r}")
    checks.check(b.session_cookie() is None, "[B] its cookie was removed")

    # ---- A: reload, logged out -------------------------------------------------------
    a.refresh()
    status = a.wait_text("#status")
    a.screenshot("a-after-logout-everywhere")
    checks.check(status == "You are not signed in", f"[A] reload after B's 'log out everywhere': {status!r}")
    msg = a.wait_text("#message")
    checks.check(msg.startswith("You were logged out everywhere"), f"[A] told why: {msg!r}")
    checks.check(a.session_cookie() is None, "[A] the revoked cookie was cleared (removal Set-Cookie honoured)")

    # ---- the size cap ---------------------------------------------------------------
    a.get(base + "/size-cap/set")
    sealed_len = a.wait_text("#sealed-len")
    control_len = a.wait_text("#control-len")
    refused = a.wait_text("#refused")
    a.screenshot("size-cap-set")
    checks.check(sealed_len == "4096", f"size cap: the demo set a sealed cookie of name+value = {sealed_len} bytes")
    checks.check(control_len == "4097", f"size cap: and an unsealed control cookie of {control_len} bytes")
    checks.check("TooLarge" in refused and "max: 4096" in refused, f"size cap: the crate at seal time, one payload byte more: {refused}")
    a.get(base + "/size-cap/check")
    received = a.wait_text("#sealed-received")
    opened = a.wait_text("#sealed-opened")
    control = a.wait_text("#control-received")
    a.screenshot("size-cap-check")
    checks.check(received == "yes, 4096 bytes", f"size cap: Chromium stored and sent back the 4096-byte cookie: {received}")
    checks.check(opened == "yes", "size cap: it opened on the server, payload intact")
    checks.check(control == "no", f"size cap: Chromium dropped the 4097-byte control cookie (received: {control})")
    names = sorted(c.get("name") for c in a.cookies())
    checks.check("size_cap" in names and "size_ctl" not in names, f"size cap: Chromium's cookie list for /size-cap: {names}")

    # ---- cookie tossing from a sibling subdomain -------------------------------------
    # *.example.test resolve to 127.0.0.1 inside Chromium; nothing else is contacted.
    servers = []
    try:
        unprefixed = start_demo(args, procs, tmp, "demo-unprefixed", {"DEMO_COOKIE_NAME": "demo-session"})
        log(f"demo with DEMO_COOKIE_NAME=demo-session at {unprefixed}")
        tossing_unprefixed(args, checks, browser, servers, unprefixed, "demo-session")
        # The default __Host- name: Chromium sets no __Host- cookie over plain
        # HTTP from app.example.test whatever the flags, so this one runs over
        # TLS (a throwaway self-signed certificate, a forwarder to the demo).
        tossing_host_prefixed(args, checks, browser, servers, base, tls_context(tmp))
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


def harness(run, args, label, tmp_prefix, timeout):
    """Runs `run(args, checks, procs, browsers, tmp)` under an overall
    alarm, always quits the browsers, stops the processes and removes the
    scratch directory, and prints one summary line: 0 if every check
    passed, 1 on the first failure."""

    def on_alarm(signum, frame):
        raise TimeoutError(f"the run took longer than {timeout} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(timeout)
    started = time.monotonic()
    checks = Checks()
    procs, browsers = [], []
    tmp = tempfile.mkdtemp(prefix=tmp_prefix)
    failed = None
    try:
        run(args, checks, procs, browsers, tmp)
    except BaseException as err:  # noqa: BLE001 - any failure fails the run
        failed = err
    finally:
        signal.alarm(0)
        for b in browsers:
            b.quit()
        for name, proc in reversed(procs):
            stop(proc, name)
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.monotonic() - started
    if failed is not None:
        log(f"FAIL: {type(failed).__name__}: {failed}")
        print(f"{label}: {checks.passed} passed, 1 failed", flush=True)
        return 1
    log(f"PASS in {elapsed:.1f} s")
    print(f"{label}: {checks.passed} passed, 0 failed", flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--demo", required=True, help="path of the built demo binary")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    parser.add_argument("--screenshots", default=os.environ.get("E2E_SCREENSHOTS"), help="directory for PNGs")
    args = parser.parse_args()
    for path in (args.demo, args.chromium, args.chromedriver):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            log(f"FAIL: {path} is not an executable file")
            return 1
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)

    return harness(run, args, "e2e", "sealed-session-e2e-", OVERALL_TIMEOUT)


if __name__ == "__main__":
    sys.exit(main())
