"""The front end: calls the back end by its Service name, as a pod in Kubernetes would."""
import http.server
import os
import urllib.request

# A short name: the pod's resolver search list (<ns>.svc.cluster.local, ...) completes it.
BACKEND = os.environ.get("BACKEND_URL", "http://backend")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with urllib.request.urlopen(BACKEND, timeout=5) as reply:
                body = b"frontend -> " + reply.read()
            status = 200
        except OSError as e:
            body = f"frontend could not reach {BACKEND}: {e}\n".encode()
            status = 502
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    address = (os.environ.get("POD_IP", "0.0.0.0"), 5000)
    http.server.ThreadingHTTPServer(address, Handler).serve_forever()
