"""A test app that names its pod: answers every HTTP request with its pod name and pid."""
import http.server
import os
import signal
import socketserver
import threading


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
    daemon_threads = False  # requests in flight finish before the process exits
    block_on_close = True
    allow_reuse_address = True


if __name__ == "__main__":
    server = Server((os.environ.get("POD_IP", "0.0.0.0"), int(os.environ.get("PORT", "8080"))),
                    Handler)
    # A well-behaved pod: on SIGTERM stop accepting, finish what is in flight, then exit.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    server.server_close()
