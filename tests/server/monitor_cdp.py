#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol (--remote-debugging-pipe: NUL-separated JSON
on fds 3/4, so no websocket library is needed) through one page load of the monitor, so what is
checked is the page's own live refresh, never a reload.

usage: monitor_cdp.py CHROMIUM URL STEP...
  wait TABLE present|absent TEXT[,TEXT...] SECONDS
        until a row of <table id=TABLE> holds (present) / no row holds (absent) every TEXT in its cells
  run SHELL-COMMAND     (e.g. rampartctl disconnect account=vpnuser)
  shot FILE.png         screenshot of the whole page
  eval JS               prints the value of a JavaScript expression
Prints one line per step; exits 1 at the first step that fails.
"""
import base64, json, os, subprocess, sys, tempfile, time


class Chrome:
    def __init__(self, exe):
        self.profile = tempfile.mkdtemp(prefix="rpmon-chrome-")
        # occupy 3 and 4 first, so the pipes land above them and dup2 gives the child clean 3/4
        hold = [os.open(os.devnull, os.O_RDONLY) for _ in range(2)]
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def child():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self.p = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--disable-dev-shm-usage",
             "--remote-debugging-pipe", "--user-data-dir=" + self.profile, "--window-size=1600,1000",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=child, pass_fds=(3, 4))
        for fd in hold + [to_r, from_w]:
            os.close(fd)
        self.buf = b""
        self.next_id = 0

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        end = time.time() + timeout
        while time.time() < end:
            while b"\0" not in self.buf:
                chunk = os.read(self.from_r, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buf += chunk
            raw, self.buf = self.buf.split(b"\0", 1)
            m = json.loads(raw)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
        raise RuntimeError(f"{method}: no answer in {timeout} s")

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
        subprocess.run(["rm", "-rf", self.profile])


def rows(c, s, table):
    expr = ("JSON.stringify([...document.querySelectorAll('#%s tbody tr')]"
            ".map(r => [...r.cells].map(c => c.textContent)))" % table)
    r = c.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, s)
    return json.loads(r["result"]["value"])


def main():
    exe, url, steps = sys.argv[1], sys.argv[2], sys.argv[3:]
    c = Chrome(exe)
    ok = True
    try:
        t = c.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = c.call("Target.attachToTarget", {"targetId": t, "flatten": True})["sessionId"]
        c.call("Emulation.setDeviceMetricsOverride",
               {"width": 1600, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, s)
        c.call("Page.navigate", {"url": url}, s)
        print(f"opened {url}")
        i = 0
        while i < len(steps) and ok:
            op = steps[i]
            if op == "wait":
                table, mode, texts, secs = steps[i + 1:i + 5]
                i += 5
                want = texts.split(",")
                end, hit, got = time.time() + float(secs), None, []
                while time.time() < end:
                    got = rows(c, s, table)
                    hit = any(all(any(w == cell for cell in r) for w in want) for r in got)
                    if hit == (mode == "present"):
                        break
                    time.sleep(0.2)
                good = hit == (mode == "present")
                print(f"{'PASS' if good else 'FAIL'} table #{table}: row {want} {mode}"
                      f" (rows: {json.dumps(got)[:400]})")
                ok = good
                if not good:  # what the page itself says (its status line shows fetch errors)
                    r = c.call("Runtime.evaluate", {"expression": "document.getElementById('status') &&"
                                                    " document.getElementById('status').textContent",
                                                    "returnByValue": True}, s)
                    print(f"    page status: {json.dumps(r['result'].get('value'))}")
            elif op == "run":
                r = subprocess.run(steps[i + 1], shell=True, capture_output=True, text=True)
                print(f"ran: {steps[i + 1]} -> exit {r.returncode}: {(r.stdout + r.stderr).strip()[:200]}")
                ok = r.returncode == 0
                i += 2
            elif op == "shot":
                # the whole page, not only the viewport: every folder is in the artefact
                size = c.call("Page.getLayoutMetrics", {}, s)["cssContentSize"]
                clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 4000), "scale": 1}
                png = base64.b64decode(c.call("Page.captureScreenshot", {"format": "png", "clip": clip,
                                                                         "captureBeyondViewport": True}, s)["data"])
                open(steps[i + 1], "wb").write(png)
                print(f"screenshot {steps[i + 1]} ({len(png)} bytes)")
                i += 2
            elif op == "eval":
                r = c.call("Runtime.evaluate", {"expression": steps[i + 1], "returnByValue": True}, s)
                print(f"eval {steps[i + 1]} = {json.dumps(r['result'].get('value'))[:300]}")
                i += 2
            else:
                raise SystemExit(f"unknown step {op}")
    finally:
        c.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
