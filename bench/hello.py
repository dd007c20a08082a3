"""The ceiling: a bare Flask app answering "hello", served exactly like the portal."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """The least a Flask view can do."""
    return "hello"
