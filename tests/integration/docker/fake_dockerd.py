#!/usr/bin/env python3
"""A misbehaving dockerd on a unix socket, for the docker engine's bad-input tests.

  fake_dockerd.py SOCKET silent    accepts connections and never answers
  fake_dockerd.py SOCKET garbage   answers every request 200 with a body that is not JSON
  fake_dockerd.py SOCKET odd       answers start-up well (version, pause image, network) and
                                   makes sandboxes, then replies that are JSON of the wrong
                                   shape (image inspect, container list) and an event stream
                                   of malformed lines that stays open

Exits when its parent (the test) closes its stdin.
"""
import json
import os
import socket
import socketserver
import sys
import threading
import time

SOCKET, MODE = sys.argv[1], sys.argv[2]


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        try:
            while self.serve_one():
                pass
        except (BrokenPipeError, ConnectionResetError):
            pass

    def serve_one(self):
        line = self.rfile.readline()
        if not line:
            return False
        method, target = line.decode(errors="replace").split(" ")[:2]
        length = 0
        while True:
            header = self.rfile.readline()
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode(errors="replace").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip() or 0)
        if length:
            self.rfile.read(length)
        if MODE == "silent":
            time.sleep(3600)
            return False
        if MODE == "garbage":
            return self.reply(200, b"this is not JSON {")
        path = target.split("?")[0]
        if path.endswith("/version"):
            return self.reply(200, json.dumps({"ApiVersion": "1.41", "Version": "20.10.24"}))
        if "/images/" in path and "pause" in path:
            return self.reply(200, json.dumps({"Id": "sha256:fakepause", "Config": {}}))
        if path.endswith("/networks/bridge"):
            return self.reply(200, json.dumps({"IPAM": {"Config": [{"Subnet": "172.31.250.0/24"}]}}))
        if path.endswith("/events"):
            return self.events()
        if path.endswith("/containers/json"):
            return self.reply(200, json.dumps({"not": "an array"}))
        # A pod's sandbox is made, so that the image inspection comes next.
        if path.endswith("/containers/create"):
            return self.reply(201, json.dumps({"Id": "fakesandbox", "Warnings": []}))
        if path.endswith("/containers/fakesandbox/start"):
            return self.reply(204, b"")
        if path.endswith("/containers/fakesandbox/json"):
            return self.reply(200, json.dumps({
                "Id": "fakesandbox", "State": {"Status": "running", "Running": True},
                "NetworkSettings": {"IPAddress": "172.31.250.2"}}))
        if method == "DELETE":
            return self.reply(204, b"")
        if "/images/" in path:
            return self.reply(200, json.dumps({"Id": 5, "Config": "not an object"}))
        return self.reply(500, json.dumps({"message": "fake dockerd: no " + method + " " + path}))

    def reply(self, status, body):
        if isinstance(body, str):
            body = body.encode()
        self.wfile.write(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % (status, len(body)) + body)
        self.wfile.flush()
        return True

    def events(self):
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
        lines = [b"not json at all\n",
                 b'{"Type":"container"}\n',
                 b'{"Type":"container","Action":"die","Actor":{"ID":"x",'
                 b'"Attributes":{"exitCode":"zz"}}}\n',
                 b'{"Type":"container","Action":"health_status: unhealthy","Actor":{"ID":"y"}}\n',
                 b"[1,2,3]\n"]
        for data in lines:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        time.sleep(3600)
        return False


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(SOCKET):
    os.unlink(SOCKET)
server = Server(SOCKET, Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
print("listening", flush=True)
sys.stdin.read()  # until the test closes it
server.server_close()
os.unlink(SOCKET)
