import os

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello from Kubernetes!"


if __name__ == "__main__":
    # On skiff's process engine every replica gets its own loopback pod IP (POD_IP), so four
    # replicas can all listen on port 5000; in a real container 0.0.0.0 is right.
    app.run(host=os.environ.get("POD_IP", "0.0.0.0"), port=5000)
