#!/usr/bin/env python3
"""Browser run of axum-login on sealed-session-tower.

Starts the example `sealed-session-tower --example axum_login` (axum-login
0.18 on SealedSessionLayer; SQLite + argon2; user ferris / hunter42) and
chromedriver on loopback, and drives headless Chromium: log in through the
form, the protected /counter counts, log out through the form; the protected
page then refuses, and a copy of the pre-logout cookie (sent over urllib) is
refused too (the session was revoked). Exit status 0 only if every check
passed. Reuses driver.py's WebDriver client.
"""

import argparse
import os
import queue
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request

from driver import HTTP, Browser, free_port, harness, log, pump, start_process, stop, wait_ready

COOKIE = "__Host-id"
OVERALL_TIMEOUT = 150


def start_app(binary, procs):
    env = dict(os.environ, PORT="0")
    lines = queue.Queue()
    proc = start_process([binary], env)
    procs.append(("app", proc))
    pump(proc, "app| ", lines)
    deadline = time.monotonic() + 60
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise RuntimeError("the app did not start listening in 60 s") from None
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if m:
            return m.group(1)
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}")


def status_with_cookie(url, value):
    request = urllib.request.Request(url, headers={"Cookie": f"{COOKIE}={value}"})
    try:
        with HTTP.open(request, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def run(args, checks, procs, browsers, tmp):
    base = start_app(args.app, procs)
    port = free_port()
    driver = start_process([args.chromedriver, f"--port={port}", "--allowed-ips=127.0.0.1"])
    procs.append(("chromedriver", driver))
    pump(driver, "chromedriver| ", queue.Queue())
    driver_url = f"http://127.0.0.1:{port}"
    wait_ready(driver_url, driver)
    profile = tempfile.mkdtemp(prefix="profile-tower-", dir=tmp)
    b = Browser(driver_url, args.chromium, profile, "tower", None)
    browsers.append(b)
    log(f"Chromium {b.version} started")

    b.get(base + "/counter")
    checks.check(b.session_cookie(COOKIE) is None, "signed out: no session cookie")
    checks.check(status_with_cookie(base + "/counter", "x") == 401, "signed out: /counter refuses")

    b.get(base + "/login-page")
    b.type("#username", "ferris")
    b.type("#password", "hunter42")
    b.click("#go")
    deadline = time.monotonic() + 20
    while b.session_cookie(COOKIE) is None and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the login's Set-Cookie, bounded
    cookie = b.session_cookie(COOKIE)
    checks.check(cookie is not None, f"logged in through the form: Chromium stored {COOKIE}")
    b.get(base + "/counter")
    checks.check(b.wait_text("body", "user 1 count 1") == "user 1 count 1", "/counter: user 1, count 1")
    b.get(base + "/counter")
    checks.check(b.wait_text("body", "user 1 count 2") == "user 1 count 2", "/counter counts in the session")
    copy = b.session_cookie(COOKIE)["value"]
    checks.check(status_with_cookie(base + "/counter", copy) == 200, "a copy of the cookie works before logout")

    b.get(base + "/logout-page")
    b.click("#go")
    deadline = time.monotonic() + 20
    while b.session_cookie(COOKIE) is not None and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the logout's removal cookie, bounded
    checks.check(b.session_cookie(COOKIE) is None, "logged out: Chromium dropped the cookie")
    checks.check(status_with_cookie(base + "/counter", copy) == 401, "the copied cookie is refused after logout")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", required=True, help="path of the built axum_login example")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = parser.parse_args()
    return harness(run, args, "e2e tower", "sealed-session-tower-e2e-", OVERALL_TIMEOUT)


if __name__ == "__main__":
    sys.exit(main())
