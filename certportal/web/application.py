"""The portal's Flask class: Flask, remembering the links it built."""

from flask import Flask, request

# Most links a page builds are the same for every request (the navigation, the stylesheets,
# the sort headers); links with ids differ. Past this many remembered links the memory
# starts again rather than grow without bound.
LINKS_KEPT = 10_000


class Portal(Flask):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._links: dict[tuple, str] = {}

    def url_for(self, endpoint: str, *, _anchor=None, _method=None, _scheme=None,
                _external=None, **values) -> str:
        """Flask's url_for; a link inside the site (no anchor, scheme, method or host) is
        built once per script root and remembered. Building one is a pure function of those
        and the values, as long as no url_defaults callback adds values of its own."""
        if (_anchor is not None or _method is not None or _scheme is not None or _external
                or not self._links_are_pure() or not request):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                   _scheme=_scheme, _external=_external, **values)
        # ".name" is relative to the blueprint of the request.
        blueprint = request.blueprint if endpoint[:1] == "." else None
        try:
            key = (request.script_root, blueprint, endpoint, frozenset(values.items()))
            return self._links[key]
        except KeyError:
            link = super().url_for(endpoint, **values)
            if len(self._links) >= LINKS_KEPT:
                self._links.clear()
            self._links[key] = link
            return link
        except TypeError:  # a value that cannot be a key (a list of values)
            return super().url_for(endpoint, **values)

    def _links_are_pure(self) -> bool:
        return not any(self.url_default_functions.values())
