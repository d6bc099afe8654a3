#!/usr/bin/env python3
"""A test receiver that behaves like the real ones keyprojd talks to.

Standard Webhooks endpoints (/json), the WeCom, DingTalk and Feishu group
robots (/wecom, /dingtalk, /feishu/<hook>) with their signatures, size and
rate limits and error codes, and fault modes (/fail/...). It records every
accepted message in memory: GET /_received, GET /_stats, POST /_reset.
Python 3 standard library only. See README.md next to it.

Prints the port it listens on as the first line of stdout.
"""

import argparse
import base64
import email.parser
import email.policy
import hashlib
import hmac
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_REQUEST = 1 << 20
MAX_MEDIA = 20 << 20        # WeCom's upload_media: a file of at most 20 MB


class State:
    """Everything the handlers share, under one lock."""

    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.reset()

    def reset(self):
        self.received = []
        self.connections = 0
        self.requests = 0
        self.limited = 0            # calls answered "over the limit"
        self.windows = {}           # (robot, key, span) -> deque of times
        self.throttled_until = {}   # (robot, key) -> time
        self.clock_offset = None    # POST /_clock: the senders' test clock
        self.media = {}             # upload_media: media_id -> (key, file name, bytes)

    def now(self):
        """The robots' clock: real time, or the test clock once set (it
        then advances with real time, as keyprojd's --now clock does)."""
        if self.clock_offset is None:
            return time.monotonic()
        return time.time() + self.clock_offset

    def record(self, entry):
        with self.lock:
            entry["seq"] = len(self.received) + 1
            entry["time"] = time.time()
            entry["clock"] = self.now()
            self.received.append(entry)

    def over_limit(self, robot, key, span, limit):
        """Counts this call in the window of span seconds that ends now, as
        the robots do: any span-second window holds at most limit calls
        (each call counts, refused ones too). True when this one is over."""
        with self.lock:
            now = self.now()
            w = self.windows.setdefault((robot, key, span), deque())
            while w and now - w[0] >= span:
                w.popleft()
            w.append(now)
            return len(w) > limit

    def refused(self):
        """One more call answered "over the limit" (or throttled)."""
        with self.lock:
            self.limited += 1

    def throttle(self, robot, key, seconds=None):
        """With seconds: start a throttle. Without: is one running?"""
        now = self.now()
        with self.lock:
            if seconds is not None:
                self.throttled_until[(robot, key)] = now + seconds
                return True
            return self.throttled_until.get((robot, key), 0) > now


def b64_hmac(key, msg):
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def standard_webhooks_key(secret):
    if secret.startswith("whsec_"):
        secret = secret[len("whsec_"):]
    return base64.b64decode(secret)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as real receivers do
    server_version = "receiver.py"

    def setup(self):
        super().setup()
        self.counted = False

    def log_message(self, fmt, *args):
        if STATE.args.verbose:
            sys.stderr.write("receiver: " + (fmt % args) + "\n")

    # ---- plumbing ----------------------------------------------------

    def count(self):
        """Connections and requests of clients (not of /_ calls)."""
        with STATE.lock:
            STATE.requests += 1
            if not self.counted:
                STATE.connections += 1
                self.counted = True

    def answer(self, status, body=b"", ctype="application/json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or status != 204:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def read_body(self, limit=MAX_REQUEST):
        n = self.headers.get("Content-Length")
        if n is None or not n.isdigit():
            self.answer(411, {"error": "Content-Length required"})
            return None
        if int(n) > limit:
            self.close_connection = True
            self.answer(413, {"error": "too large"})
            return None
        return self.rfile.read(int(n))

    # ---- routing -----------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_received":
            want = urllib.parse.parse_qs(url.query).get("path", [None])[0]
            with STATE.lock:
                items = [e for e in STATE.received if want is None or e["path"] == want]
            self.answer(200, items)
        elif url.path == "/_stats":
            with STATE.lock:
                stats = {"connections": STATE.connections, "requests": STATE.requests,
                         "received": len(STATE.received), "limited": STATE.limited}
            self.answer(200, stats)
        else:
            self.answer(404, {"error": "not found"})

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/_reset":
            self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            with STATE.lock:
                STATE.reset()
            self.answer(204)
            return
        if url.path == "/_clock":
            # {"now": EPOCH}: the robots' windows run on this clock from now
            # on (keyprojd's test clock, moved with keyprojctl clock set);
            # the windows already counted keep their instants.
            doc = parse_json(self.rfile.read(int(self.headers.get("Content-Length", "0") or 0)))
            if not doc or not isinstance(doc.get("now"), (int, float)):
                self.answer(400, {"error": "body must be {\"now\": epoch seconds}"})
                return
            with STATE.lock:
                if STATE.clock_offset is None:
                    STATE.windows.clear()       # monotonic instants cannot mix with the clock's
                    STATE.throttled_until.clear()
                STATE.clock_offset = doc["now"] - time.time()
            self.answer(204)
            return
        self.count()
        path = url.path
        body = self.read_body(MAX_MEDIA + 4096 if path == "/upload_media" else MAX_REQUEST)
        if body is None:
            return
        if path == "/upload_media":
            self.wecom_upload(query, body)
        elif path == "/json":
            self.standard_webhooks(body)
        elif path == "/wecom":
            self.wecom(query, body)
        elif path == "/dingtalk":
            self.dingtalk(query, body)
        elif path.startswith("/feishu/"):
            self.feishu(path[len("/feishu/"):], body)
        elif path.startswith("/fail/"):
            self.fault(path[len("/fail/"):], query, body)
        else:
            self.answer(404, {"error": "no such mode"})

    # ---- Standard Webhooks -------------------------------------------

    def standard_webhooks(self, body):
        if STATE.args.json_delay_ms:
            STATE.stop.wait(STATE.args.json_delay_ms / 1000)   # a receiver with some latency
        h = self.headers
        msg_id, ts, sigs = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
        if not (msg_id and ts and sigs):
            self.answer(400, {"error": "missing webhook-id, webhook-timestamp or webhook-signature"})
            return
        try:
            ts_i = int(ts)
        except ValueError:
            self.answer(400, {"error": "bad webhook-timestamp"})
            return
        if abs(time.time() - ts_i) > STATE.args.tolerance:
            self.answer(401, {"error": "timestamp outside the tolerance"})
            return
        signed = f"{msg_id}.{ts}.".encode() + body
        expected = [b64_hmac(standard_webhooks_key(s), signed) for s in STATE.args.json_secret]
        offered = [p.partition(",") for p in sigs.split(" ") if p]
        if not any(v == "v1" and hmac.compare_digest(sig, e)
                   for v, _, sig in offered for e in expected):
            self.answer(401, {"error": "no matching signature"})
            return
        try:
            doc = json.loads(body)
            assert isinstance(doc, dict) and {"type", "timestamp", "data"} <= doc.keys()
        except (ValueError, AssertionError):
            self.answer(400, {"error": "body must be {type, timestamp, data}"})
            return
        STATE.record({"path": "/json", "webhook_id": msg_id, "webhook_timestamp": ts,
                      "webhook_signature": sigs, "body": body.decode(), "json": doc})
        self.answer(204)

    # ---- WeCom -------------------------------------------------------

    def wecom(self, query, body):
        a = STATE.args
        key = query.get("key", [""])[0]
        if key not in (a.wecom_key or ["test-key"]):
            self.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [receiver.py]"})
            return
        # The limit counts every call, failed ones too.
        if STATE.over_limit("wecom", key, 60, a.wecom_limit):
            STATE.refused()
            self.answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
            return
        doc = parse_json(body)
        kind = doc.get("msgtype") if doc else None
        if kind == "file" and isinstance(doc.get("file"), dict):
            self.wecom_file(key, doc)
            return
        if kind not in ("text", "markdown") or not isinstance(doc.get(kind), dict):
            self.answer(200, {"errcode": 40008, "errmsg": "invalid message type"})
            return
        content = doc[kind].get("content")
        if not isinstance(content, str) or not content:
            self.answer(200, {"errcode": 44004, "errmsg": "empty content"})
            return
        limit = 2048 if kind == "text" else 4096
        if len(content.encode()) > limit:
            self.answer(200, {"errcode": 40058, "errmsg": f"content exceed max length {limit}"})
            return
        mobiles = doc[kind].get("mentioned_mobile_list", [])
        if not isinstance(mobiles, list) or not all(isinstance(m, str) for m in mobiles):
            self.answer(200, {"errcode": 40008, "errmsg": "invalid mentioned_mobile_list"})
            return
        STATE.record({"path": "/wecom", "json": doc})
        self.answer(200, {"errcode": 0, "errmsg": "ok"})

    def wecom_upload(self, query, body):
        """upload_media?key=KEY&type=file: multipart/form-data with a part
        named "media" (filename, 5 bytes to 20 MB); answers a media_id,
        valid for messages to the same robot (WeCom's: three days)."""
        key = query.get("key", [""])[0]
        if key not in (STATE.args.wecom_key or ["test-key"]):
            self.answer(200, {"errcode": 93000, "errmsg": "invalid webhook url, hint: [receiver.py]"})
            return
        if query.get("type", [""])[0] not in ("file", "voice"):
            self.answer(200, {"errcode": 40004, "errmsg": "invalid media type"})
            return
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("multipart/form-data"):
            self.answer(200, {"errcode": 40005, "errmsg": "invalid file type: not multipart/form-data"})
            return
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        media = [part for part in (msg.iter_parts() if msg.is_multipart() else [])
                 if part.get_param("name", header="content-disposition") == "media"]
        if len(media) != 1 or not media[0].get_filename():
            self.answer(200, {"errcode": 41001, "errmsg": "missing media part with a filename"})
            return
        data = media[0].get_payload(decode=True) or b""
        if len(data) < 5 or len(data) > MAX_MEDIA:
            self.answer(200, {"errcode": 40006, "errmsg": "invalid file size"})
            return
        media_id = "3" + hashlib.sha256(data + str(time.time()).encode()).hexdigest()[:40]
        with STATE.lock:
            STATE.media[media_id] = (key, media[0].get_filename(), data)
        STATE.record({"path": "/upload_media", "media_id": media_id, "filename": media[0].get_filename(),
                      "size": len(data), "content_base64": base64.b64encode(data).decode()})
        self.answer(200, {"errcode": 0, "errmsg": "ok", "type": "file", "media_id": media_id,
                          "created_at": str(int(time.time()))})

    def wecom_file(self, key, doc):
        media_id = doc["file"].get("media_id")
        with STATE.lock:
            known = STATE.media.get(media_id)
        if known is None or known[0] != key:
            self.answer(200, {"errcode": 40007, "errmsg": "invalid media_id"})
            return
        STATE.record({"path": "/wecom", "json": doc, "filename": known[1], "size": len(known[2])})
        self.answer(200, {"errcode": 0, "errmsg": "ok"})

    # ---- DingTalk ----------------------------------------------------

    def dingtalk(self, query, body):
        a = STATE.args
        token = query.get("access_token", [""])[0]
        if token != a.dingtalk_token:
            self.answer(200, {"errcode": 300001, "errmsg": "token is not exist"})
            return
        too_fast = {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        if STATE.throttle("dingtalk", token):
            STATE.refused()
            self.answer(200, too_fast)
            return
        if STATE.over_limit("dingtalk", token, 60, a.dingtalk_limit):
            STATE.throttle("dingtalk", token, a.dingtalk_throttle)
            STATE.refused()
            self.answer(200, too_fast)
            return
        if a.dingtalk_secret:
            ts = query.get("timestamp", [""])[0]
            sign = query.get("sign", [""])[0]
            if not ts.isdigit() or abs(time.time() * 1000 - int(ts)) > 3600 * 1000:
                self.answer(200, {"errcode": 310000, "errmsg": "invalid timestamp"})
                return
            want = b64_hmac(a.dingtalk_secret.encode(), f"{ts}\n{a.dingtalk_secret}".encode())
            if not hmac.compare_digest(sign, want):
                self.answer(200, {"errcode": 310000, "errmsg": "sign not match"})
                return
        if len(body) > a.dingtalk_max_body:
            self.answer(200, {"errcode": 460101, "errmsg": "message too long"})
            return
        doc = parse_json(body)
        if not self.dingtalk_shape_ok(doc):
            self.answer(200, {"errcode": 40035, "errmsg": "缺少参数 json"})
            return
        STATE.record({"path": "/dingtalk", "json": doc})
        self.answer(200, {"errcode": 0, "errmsg": "ok"})

    @staticmethod
    def dingtalk_shape_ok(doc):
        if not doc or doc.get("msgtype") not in ("text", "markdown"):
            return False
        part = doc.get(doc["msgtype"])
        if not isinstance(part, dict):
            return False
        need = ("content",) if doc["msgtype"] == "text" else ("title", "text")
        if not all(isinstance(part.get(k), str) and part[k] for k in need):
            return False
        mobiles = doc.get("at", {}).get("atMobiles", [])
        return isinstance(mobiles, list) and all(isinstance(m, str) for m in mobiles)

    # ---- Feishu ------------------------------------------------------

    def feishu(self, hook, body):
        a = STATE.args
        if hook != a.feishu_hook:
            self.answer(200, {"code": 19001, "msg": "param invalid: incoming webhook access token invalid"})
            return
        bad = {"code": 9499, "msg": "Bad Request", "data": {}}
        if len(body) > a.feishu_max_body:
            self.answer(400, bad)
            return
        doc = parse_json(body)
        if doc is None:
            self.answer(400, bad)
            return
        if a.feishu_secret:
            ts = str(doc.get("timestamp", ""))
            want = b64_hmac(f"{ts}\n{a.feishu_secret}".encode(), b"") if ts.isdigit() else None
            if (want is None or abs(time.time() - int(ts)) > 3600
                    or not hmac.compare_digest(str(doc.get("sign", "")), want)):
                self.answer(200, {"code": 19021, "msg": "sign match fail or timestamp is not "
                                  "within one hour from current time"})
                return
        # Both windows count every call (| not ||): 5 a second, then 100 a
        # minute ("too many request", the custom bot's own answer).
        per_second = STATE.over_limit("feishu", hook, 1, a.feishu_per_second)
        per_minute = STATE.over_limit("feishu", hook, 60, a.feishu_per_minute)
        if per_minute or per_second:
            STATE.refused()
        if per_minute:
            self.answer(200, {"code": 9499, "msg": "too many request", "data": {}})
            return
        if per_second:
            self.answer(200, {"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"})
            return
        if not self.feishu_shape_ok(doc):
            self.answer(400, bad)
            return
        STATE.record({"path": "/feishu", "json": doc})
        if a.feishu_legacy:
            self.answer(200, {"Extra": None, "StatusCode": 0, "StatusMessage": "success"})
        else:
            self.answer(200, {"code": 0, "data": {}, "msg": "success"})

    @staticmethod
    def feishu_shape_ok(doc):
        content = doc.get("content")
        if doc.get("msg_type") == "text":
            return isinstance(content, dict) and isinstance(content.get("text"), str)
        if doc.get("msg_type") != "post" or not isinstance(content, dict):
            return False
        post = content.get("post")
        if not isinstance(post, dict) or not post:
            return False
        for lang in post.values():
            paras = lang.get("content") if isinstance(lang, dict) else None
            if not isinstance(paras, list):
                return False
            for para in paras:
                if not isinstance(para, list) or not all(isinstance(e, dict) and "tag" in e for e in para):
                    return False
        return True

    # ---- faults ------------------------------------------------------

    def fault(self, mode, query, body):
        if mode == "500":
            self.answer(500, {"error": "internal error"})
        elif mode == "410":
            self.answer(410, {"error": "gone"})
        elif mode == "429":
            n = query.get("retry_after", ["30"])[0]
            self.answer(429, {"error": "slow down"}, headers=[("Retry-After", n)])
        elif mode == "slow":
            STATE.stop.wait(int(query.get("ms", ["1000"])[0]) / 1000)
            STATE.record({"path": "/fail/slow", "webhook_id": self.headers.get("webhook-id"),
                          "body": body.decode(errors="replace")})
            self.answer(204)
        elif mode == "big":
            self.answer(200, b"x" * int(query.get("bytes", ["100000"])[0]), "text/plain")
        elif mode == "garbage":
            self.answer(200, "<html><body>502 Bad Gateway (nginx)</body></html>", "text/html")
        elif mode == "reset":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100\r\n\r\n{\"errcode\":")
            self.wfile.flush()
            # SO_LINGER 0: close sends a RST instead of a FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif mode == "nothttp":
            # Something else listens there (an SSH or SMTP server): a
            # greeting that is not HTTP at all, then the connection closes.
            self.wfile.write(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
            self.wfile.flush()
            self.close_connection = True
        elif mode == "hang":
            STATE.stop.wait(STATE.args.hang_seconds)
            self.close_connection = True
        else:
            self.answer(404, {"error": "no such fault"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops connections in a burst (SYN retried
    # after a second): real receivers sit behind a deep queue.
    request_queue_size = 1024


def parse_json(body):
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--json-secret", action="append", default=[],
                   help="whsec_… secret for /json (repeat for rotation)")
    p.add_argument("--tolerance", type=int, default=300, help="webhook-timestamp tolerance, s")
    p.add_argument("--json-delay-ms", type=int, default=0, help="answer each /json request this late")
    p.add_argument("--wecom-key", action="append", default=[],
                   help="a robot's key (repeat for several robots; default test-key)")
    p.add_argument("--wecom-limit", type=int, default=20, help="messages per rolling minute")
    p.add_argument("--dingtalk-token", default="test-token")
    p.add_argument("--dingtalk-secret", default="")
    p.add_argument("--dingtalk-limit", type=int, default=20, help="messages per rolling minute")
    p.add_argument("--dingtalk-throttle", type=int, default=600, help="seconds refused after the limit")
    p.add_argument("--dingtalk-max-body", type=int, default=20000)
    p.add_argument("--feishu-hook", default="test-hook")
    p.add_argument("--feishu-secret", default="")
    p.add_argument("--feishu-per-minute", type=int, default=100)
    p.add_argument("--feishu-per-second", type=int, default=5)
    p.add_argument("--feishu-max-body", type=int, default=20480)
    p.add_argument("--feishu-legacy", action="store_true", help="answer with StatusCode")
    p.add_argument("--hang-seconds", type=float, default=300)
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args()

    global STATE
    STATE = State(args)
    server = Server((args.host, args.port), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        STATE.stop.set()
        server.server_close()


STATE = None

if __name__ == "__main__":
    main()
