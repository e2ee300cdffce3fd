"""Offline GraphiQL page for the showgraph GraphQL server.

Why this module exists instead of using a hosted GraphiQL page: the stock pages
(including Strawberry's built-in one) load React and GraphiQL from a CDN, which
fails on machines without internet access.  Here the page only references the
pinned, vendored bundles in ``server/static/graphiql/`` (refreshed by
``scripts/refresh_graphiql.sh``; see ``VERSIONS.txt`` there), so it works fully
offline as long as the server mounts that directory under ``static_prefix``.

Wiring, e.g. with Starlette::

    Mount("/static/graphiql", StaticFiles(directory=graphiql_static_dir()))
    Route("/graphiql", lambda request: HTMLResponse(
        graphiql_html("/graphql", "/static/graphiql", "{ shows { title } }")))
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from pathlib import Path
from typing import Final

__all__ = ["graphiql_html", "graphiql_static_dir"]

_STATIC_DIR: Final[Path] = Path(__file__).resolve().parent / "static" / "graphiql"

# Every key GraphiQL writes to localStorage gets this prefix plus a hash of the
# page configuration (see _storage_prefix).
_STORAGE_ROOT: Final[str] = "showgraph:graphiql:"


def graphiql_static_dir() -> Path:
    """Return the directory holding the vendored GraphiQL/React assets.

    Resolved relative to this file rather than the working directory so that
    the server finds the assets however it is started.
    """
    return _STATIC_DIR


def _js_literal(value: object) -> str:
    r"""Serialise ``value`` as a JavaScript literal safe inside ``<script>``.

    ``json.dumps`` alone is not enough inside an HTML script element: the HTML
    parser ends the element at the first ``</script`` no matter whether it sits
    in a JS string, and ``<!--`` followed by ``<script`` switches the parser
    into a state in which the closing tag is not recognised.  Both sequences
    can only occur inside JSON strings, where ``<\/`` and ``\u003C`` decode
    to the same characters, so the value seen by JavaScript is unchanged.
    ``ensure_ascii`` (the default) also escapes U+2028/U+2029.
    """
    return json.dumps(value).replace("</", "<\\/").replace("<!--", "\\u003C!--")


def _storage_prefix(endpoint: str, default_query: str, default_headers: str) -> str:
    """Return the localStorage key prefix for this page configuration.

    GraphiQL ignores ``defaultQuery`` whenever it finds saved tabs in storage,
    so tabs left over from another GraphiQL on the same origin (Strawberry's
    own page uses the bare ``graphiql:`` keys) or from an older default query
    would hide the current one.  Keying the namespace on the configuration
    means a changed default query starts from a clean slate, while a user's
    edits still survive reloads as long as the configuration is the same.
    """
    config = json.dumps([endpoint, default_query, default_headers])
    digest = hashlib.sha256(config.encode("utf-8")).hexdigest()[:16]
    return f"{_STORAGE_ROOT}{digest}:"


# Plain ES5 so that it runs in any browser GraphiQL itself supports; it needs
# no build step.  Placeholders are filled by graphiql_html().
_PAGE_TEMPLATE: Final[str] = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>showgraph · GraphiQL</title>
<link rel="stylesheet" href="@PREFIX@/graphiql.min.css">
<style>
html, body, #graphiql { height: 100%; margin: 0; }
</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript.</noscript>
<script src="@PREFIX@/react.production.min.js"></script>
<script src="@PREFIX@/react-dom.production.min.js"></script>
<script src="@PREFIX@/graphiql.min.js"></script>
<script>
(function () {
  "use strict";
  var config = @CONFIG@;
  var container = document.getElementById("graphiql");

  if (typeof React === "undefined" || typeof ReactDOM === "undefined" ||
      typeof GraphiQL === "undefined") {
    container.textContent = "GraphiQL assets failed to load from " +
      config.staticPrefix + "/ (is the static directory mounted?)";
    return;
  }

  // In-memory stand-in with the localStorage interface, used when
  // localStorage is unavailable (blocked cookies, some private modes).
  function memoryStorage() {
    var data = {};
    return {
      getItem: function (k) {
        return Object.prototype.hasOwnProperty.call(data, k) ? data[k] : null;
      },
      setItem: function (k, v) { data[k] = String(v); },
      removeItem: function (k) { delete data[k]; },
      key: function (i) { var keys = Object.keys(data); return i < keys.length ? keys[i] : null; },
      get length() { return Object.keys(data).length; }
    };
  }

  function keysWithPrefix(backing, prefix) {
    var keys = [];
    for (var i = 0; i < backing.length; i++) {
      var k = backing.key(i);
      if (k !== null && k.indexOf(prefix) === 0) { keys.push(k); }
    }
    return keys;
  }

  // The history plugin stores each run's headers under "queries" and
  // "favorites" even with shouldPersistHeaders off; strip them so that
  // tokens never reach disk.
  function withoutHeaders(key, value) {
    var field = key.split(":").pop();
    if (field !== "queries" && field !== "favorites") { return value; }
    try {
      var parsed = JSON.parse(value);
      (parsed[field] || []).forEach(function (item) { delete item.headers; });
      return JSON.stringify(parsed);
    } catch (e) {
      return value;
    }
  }

  // GraphiQL's Storage interface over a private namespace (see the Python
  // docstring of _storage_prefix for why).
  function namespacedStorage(root, prefix) {
    var backing;
    try {
      backing = window.localStorage;
      backing.setItem(prefix + "probe", "1");
      backing.removeItem(prefix + "probe");
    } catch (e) {
      backing = memoryStorage();
    }
    // Forget namespaces of earlier configurations of this page.
    keysWithPrefix(backing, root).forEach(function (k) {
      if (k.indexOf(prefix) !== 0) { backing.removeItem(k); }
    });
    return {
      getItem: function (k) { return backing.getItem(prefix + k); },
      setItem: function (k, v) { backing.setItem(prefix + k, withoutHeaders(k, v)); },
      removeItem: function (k) { backing.removeItem(prefix + k); },
      clear: function () {
        keysWithPrefix(backing, prefix).forEach(function (k) { backing.removeItem(k); });
      },
      get length() { return keysWithPrefix(backing, prefix).length; }
    };
  }

  var props = {
    fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
    storage: namespacedStorage(config.storageRoot, config.storagePrefix),
    defaultQuery: config.defaultQuery,
    // Headers often carry tokens: keep them out of localStorage (see also
    // withoutHeaders).
    shouldPersistHeaders: false,
    defaultEditorToolsVisibility: config.defaultHeaders ? "headers" : false
  };
  if (config.defaultHeaders) { props.defaultHeaders = config.defaultHeaders; }

  container.textContent = "";
  ReactDOM.createRoot(container).render(React.createElement(GraphiQL, props));
})();
</script>
</body>
</html>
"""

_PLACEHOLDER: Final[re.Pattern[str]] = re.compile(r"@(PREFIX|CONFIG)@")


def graphiql_html(
    endpoint: str,
    static_prefix: str,
    default_query: str,
    default_headers: str = "",
) -> str:
    """Return the complete HTML of the offline GraphiQL page.

    Args:
        endpoint: URL the GraphQL requests are POSTed to, normally a
            same-origin path such as ``"/graphql"``.
        static_prefix: URL path under which ``graphiql_static_dir()`` is
            served, e.g. ``"/static/graphiql"`` (a trailing slash is ignored).
        default_query: Query shown in the editor on first load (and whenever
            this configuration changes; see ``_storage_prefix``).
        default_headers: Optional JSON text for the headers editor, e.g.
            ``'{"Authorization": "Bearer dev"}'``; when given, the headers pane
            is opened so the user sees them.  Never persisted in storage.

    Returns:
        The page as a ``str``; serve it with ``Content-Type: text/html;
        charset=utf-8``.

    All arguments may contain arbitrary text: ``static_prefix`` is
    HTML-attribute-escaped and everything reaching JavaScript goes through
    ``_js_literal``, so e.g. a query containing ``</script>`` cannot end the
    script element.
    """
    prefix = static_prefix.rstrip("/")
    config = {
        "endpoint": endpoint,
        "staticPrefix": prefix,
        "defaultQuery": default_query,
        "defaultHeaders": default_headers,
        "storageRoot": _STORAGE_ROOT,
        "storagePrefix": _storage_prefix(endpoint, default_query, default_headers),
    }
    values = {
        "PREFIX": html.escape(prefix, quote=True),
        "CONFIG": _js_literal(config),
    }
    # One pass, so text inside a value is never mistaken for a placeholder.
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _PAGE_TEMPLATE)
