"""gunicorn's settings for the portal: `gunicorn -c gunicorn.conf.py app:app`.

The master loads the application and compiles every template once, before it forks: each
worker (and each worker started in place of one that was restarted) then serves its first
request of every page as fast as its thousandth, instead of importing the package and
compiling templates while a visitor waits. The master opens no database connection, so none
is shared across the fork; each worker opens its own on its first request.

Then the master moves everything loaded so far out of the garbage collector's sight
(`gc.freeze()`): the workers inherit it, and their full collections no longer walk the whole
loaded package (a 40 ms pause every few hundred requests otherwise, in the middle of one of
them), nor touch its memory pages, which stay shared between the workers.

Anything here can be overridden on the command line (`--workers 8`, `--bind …`).
"""

import gc
import os

preload_app = True
worker_class = "sync"
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
bind = os.environ.get("BIND", "127.0.0.1:8000")


def when_ready(server):
    from certportal.web.templating import compile_all_templates

    compile_all_templates(server.app.wsgi())
    gc.collect()
    gc.freeze()
