"""The production gunicorn settings: the master prepares what every worker would otherwise
prepare on its first requests."""

import gc
import runpy
from types import SimpleNamespace

from tests.conftest import project_root


def test_the_master_compiles_every_template_and_freezes_what_it_loaded(app):
    settings = runpy.run_path(str(project_root() / "gunicorn.conf.py"))
    assert settings["preload_app"] is True
    app.jinja_env.cache.clear()
    server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))
    try:
        settings["when_ready"](server)
        compiled = {name for (_loader, name) in app.jinja_env.cache}
        assert set(app.jinja_env.list_templates()) <= compiled
        assert "transcripts/form.html" in compiled
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
