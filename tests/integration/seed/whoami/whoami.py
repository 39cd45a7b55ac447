"""A test app that names its pod: answers every HTTP request with its pod name and pid."""
import http.server
import os
import socketserver


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"pod={os.environ.get('POD_NAME', '?')} pid={os.getpid()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


if __name__ == "__main__":
    Server((os.environ.get("POD_IP", "0.0.0.0"), int(os.environ.get("PORT", "8080"))),
           Handler).serve_forever()
