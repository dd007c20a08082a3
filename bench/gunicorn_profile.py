"""gunicorn settings for bench/profiles.py --served: each worker profiles the requests it
serves (cProfile from pre_request to post_request, so the WSGI app and the writing of the
response) and writes its stats and request count to $PROFILE_DIR when it exits."""

import cProfile
import os
from pathlib import Path

_state = {"profiler": None, "requests": 0}


def post_fork(server, worker):
    _state["profiler"] = cProfile.Profile()


def pre_request(worker, req):
    _state["profiler"].enable()


def post_request(worker, req, environ, resp):
    _state["profiler"].disable()
    _state["requests"] += 1


def worker_exit(server, worker):
    folder = Path(os.environ["PROFILE_DIR"])
    _state["profiler"].dump_stats(str(folder / f"{os.getpid()}.prof"))
    (folder / f"{os.getpid()}.count").write_text(str(_state["requests"]))
