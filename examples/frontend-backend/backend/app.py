"""The back end: answers every GET with a greeting that names the pod that served it."""
import http.server
import os
import socket


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from the backend pod {socket.gethostname()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    # In a container 0.0.0.0; on skiff's process engine the pod's own loopback address.
    address = (os.environ.get("POD_IP", "0.0.0.0"), 5000)
    http.server.ThreadingHTTPServer(address, Handler).serve_forever()
