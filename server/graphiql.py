"""Offline GraphiQL page for the showgraph GraphQL server.

Why this module exists instead of using a hosted GraphiQL page: the stock pages
(including Strawberry's built-in one) load React and GraphiQL from a CDN, which
fails on machines without internet access.  Here the page only references the
pinned, vendored bundles in ``server/static/graphiql/`` (refreshed by
``scripts/refresh_graphiql.sh``; see ``VERSIONS.txt`` there), so it works fully
offline as long as the server mounts that directory under ``static_prefix``.

The page opens with ready tabs: the default query, then ``EXAMPLE_TABS`` (a
season's episodes, search, a path, where a fact comes from, and a mutation
whose headers hold a placeholder bearer token), so that a first visit shows
what the API can do rather than an empty editor.

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
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "EXAMPLE_TABS",
    "PLACEHOLDER_HEADERS",
    "GraphiQLTab",
    "graphiql_html",
    "graphiql_static_dir",
]

_STATIC_DIR: Final[Path] = Path(__file__).resolve().parent / "static" / "graphiql"

# Every key GraphiQL writes to localStorage gets this prefix plus a hash of the
# page configuration (see _storage_prefix).
_STORAGE_ROOT: Final[str] = "showgraph:graphiql:"


@dataclass(frozen=True, slots=True)
class GraphiQLTab:
    """One tab GraphiQL opens with: a document, and JSON text for its variables and headers.

    The tab's title is the name of its operation, so every example names its
    operation after what it shows.
    """

    query: str
    variables: str = ""
    headers: str = ""


# Headers for writes: a bearer token the user must fill in. Not a real token,
# and only on the tab that writes, so that queries never send it.
PLACEHOLDER_HEADERS: Final[str] = '{\n  "Authorization": "Bearer <your token>"\n}'

# The tabs after the default query. They use the built-in dataset's names and
# ids (Heartstopper); against another dataset they run and find less.
EXAMPLE_TABS: Final[tuple[GraphiQLTab, ...]] = (
    GraphiQLTab(
        query="""\
# A season's episodes, in order. Dates keep the
# precision they were published with.
query SeasonTwoEpisodes {
  shows(first: 5) {
    nodes {
      name
      season(number: 2) {
        premiereDate
        episodes {
          number
          title
        }
      }
    }
  }
}
"""
    ),
    GraphiQLTab(
        query="""\
# Search forgives typos, case and accents, and knows
# aliases; best hits first.
query SearchForgivesTypos {
  search(text: "charlie sprng", first: 5) {
    score
    matched
    node {
      __typename
      id
      ... on Character { name fullName }
      ... on Actor { name }
      ... on Episode { title season { number } }
    }
  }
}
"""
    ),
    GraphiQLTab(
        query="""\
# The shortest path between two characters (Nick Nelson
# and Tara), through scenes rather than the show they
# share. Ids come from any `id` field, e.g. of a search
# hit. `forward: false`: the edge points the other way.
query PathBetweenTwoCharacters {
  path(
    from: "Q2hhcmFjdGVyOm5pY2stbmVsc29u"
    to: "Q2hhcmFjdGVyOnRhcmEtam9uZXM="
    relations: [APPEARS_IN, HAS_SCENE, RELATED_TO]
  ) {
    via
    forward
    node {
      __typename
      ... on Character { name }
      ... on Scene { summary }
      ... on Season { number }
    }
  }
}
"""
    ),
    GraphiQLTab(
        query="""\
# Where a fact comes from: `sources` lists every source
# behind an object, `sourcesOf(field:)` those behind one
# field.
query WhereAFactComesFrom {
  characters(where: {name: {eq: "Tara"}}) {
    nodes {
      name
      fullName
      nameSources: sourcesOf(field: "name") { kind title }
      fullNameSources: sourcesOf(field: "fullName") { kind title url }
    }
  }
}
"""
    ),
    GraphiQLTab(
        query="""\
# Writes need a bearer token: put yours in place of
# <your token> in the Headers pane below. Every write
# names its source; this one records a new USER_EDIT
# source. Subscribers to graphChanged hear of it.
mutation CreateAnActor {
  createActor(input: {
    fields: {name: "Jenny Walser"}
    newSource: {title: "Netflix cast announcement"}
  }) {
    node {
      id
      ... on Actor { name sources { kind title } }
    }
    userErrors { field message }
    graphVersion
  }
}
""",
        headers=PLACEHOLDER_HEADERS,
    ),
)


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


def _storage_prefix(endpoint: str, tabs: Sequence[GraphiQLTab]) -> str:
    """Return the localStorage key prefix for this page configuration.

    GraphiQL ignores ``defaultTabs`` whenever it finds saved tabs in storage,
    so tabs left over from another GraphiQL on the same origin (Strawberry's
    own page uses the bare ``graphiql:`` keys) or from older examples would
    hide the current ones.  Keying the namespace on the configuration means
    changed tabs start from a clean slate, while a user's edits still survive
    reloads as long as the configuration is the same.
    """
    config = json.dumps([endpoint, [asdict(tab) for tab in tabs]])
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
<link rel="icon" href="data:,">
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

  // Subscriptions go over graphql-transport-ws to this same host: ws:// for a
  // page served over plain HTTP, wss:// over TLS (behind a TLS proxy too).
  var socketUrl = (window.location.protocol === "https:" ? "wss://" : "ws://") +
    window.location.host + config.endpoint;
  var props = {
    fetcher: GraphiQL.createFetcher({ url: config.endpoint, subscriptionUrl: socketUrl }),
    storage: namespacedStorage(config.storageRoot, config.storagePrefix),
    // On a first visit: one tab per example (GraphiQL then ignores
    // defaultQuery and defaultHeaders; each tab carries its own).
    defaultTabs: config.defaultTabs,
    defaultQuery: config.defaultQuery,
    // With saved tabs, GraphiQL looks for the tab holding `query` and opens
    // it, or adds it as a new tab; without `query` it would add an empty
    // "<untitled>" tab on every reload.
    query: config.defaultQuery,
    // Headers often carry tokens: keep them out of localStorage (see also
    // withoutHeaders).
    shouldPersistHeaders: false,
    // Open the headers pane when a tab has headers, so that the token
    // placeholder of the mutation example is in sight.
    defaultEditorToolsVisibility: config.showHeaders ? "headers" : false
  };

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
    example_tabs: Sequence[GraphiQLTab] = EXAMPLE_TABS,
) -> str:
    """Return the complete HTML of the offline GraphiQL page.

    Args:
        endpoint: URL the GraphQL requests are POSTed to, normally a
            same-origin path such as ``"/graphql"``.
        static_prefix: URL path under which ``graphiql_static_dir()`` is
            served, e.g. ``"/static/graphiql"`` (a trailing slash is ignored).
        default_query: Query of the first tab, the one shown on first load
            (and whenever this configuration changes; see ``_storage_prefix``).
        default_headers: Optional JSON text for the first tab's headers, e.g.
            ``'{"Authorization": "Bearer dev"}'``.  Never persisted in storage.
        example_tabs: Tabs opened after the first; ``EXAMPLE_TABS`` unless
            given (``()`` for none).  When any tab has headers, the headers
            pane starts open so that the user sees them.

    Returns:
        The page as a ``str``; serve it with ``Content-Type: text/html;
        charset=utf-8``.

    All arguments may contain arbitrary text: ``static_prefix`` is
    HTML-attribute-escaped and everything reaching JavaScript goes through
    ``_js_literal``, so e.g. a query containing ``</script>`` cannot end the
    script element.
    """
    prefix = static_prefix.rstrip("/")
    tabs = [GraphiQLTab(default_query, headers=default_headers), *example_tabs]
    config = {
        "endpoint": endpoint,
        "staticPrefix": prefix,
        "defaultQuery": default_query,
        "defaultTabs": [
            # GraphiQL wants null, not "", for a tab without variables or headers.
            {"query": tab.query, "variables": tab.variables or None, "headers": tab.headers or None}
            for tab in tabs
        ],
        "showHeaders": any(tab.headers for tab in tabs),
        "storageRoot": _STORAGE_ROOT,
        "storagePrefix": _storage_prefix(endpoint, tabs),
    }
    values = {
        "PREFIX": html.escape(prefix, quote=True),
        "CONFIG": _js_literal(config),
    }
    # One pass, so text inside a value is never mistaken for a placeholder.
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _PAGE_TEMPLATE)
