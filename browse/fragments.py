"""Rendered page fragments kept in this process's memory, for the parts of a list page that
depend only on the browse index, the vocabulary and the request's parameters.

The list's filter form (about 130 facet options, each with its count) was the largest cost
left in a list page after issue 14 moved filtering into memory: about 30 % of the page in
process (docs/profiles/list-page.md). The same form is asked for again and again (the
unfiltered list, page 2 of any search, a sort change): it is rendered once per key and reused
until the index token changes (any publish, edit or vocabulary change) or the vocabulary does.
"""

import threading
from collections import OrderedDict

from django.template.loader import render_to_string

# Distinct forms kept per process; the oldest are dropped. Each is about 30 kB of HTML.
KEPT = 64
_kept: OrderedDict = OrderedDict()
_lock = threading.Lock()


def rendered(template_name: str, key: tuple, context: dict, request) -> str:
    """`render_to_string(template_name, context, request)`, reused while `key` is the same.
    `key` must hold everything the template reads that can change: the index token, the
    vocabulary's fingerprint and the parameters."""
    key = (template_name, *key)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    html = render_to_string(template_name, context, request=request)
    with _lock:
        _kept[key] = html
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return html


def clear() -> None:
    with _lock:
        _kept.clear()
