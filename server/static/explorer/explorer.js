// showgraph explorer: draws the graph around a node, using only the public
// GraphQL API (POST to the endpoint named by <body data-endpoint>, relative to
// the page). No build step and no framework: plain browser JavaScript over the
// vendored Cytoscape.js (global `cytoscape`).
//
// Text from the graph only ever reaches the page through textContent, never
// innerHTML: anyone with a write token can put text in the graph.
(function () {
  "use strict";

  // ---------------------------------------------------------------- config

  // Each kind of node: colour (Okabe-Ito based, told apart by most colour-blind
  // readers) and shape (so that colour is not the only cue).
  var KINDS = {
    SHOW: { label: "Show", colour: "#0072B2", shape: "round-hexagon" },
    SEASON: { label: "Season", colour: "#56B4E9", shape: "round-rectangle" },
    EPISODE: { label: "Episode", colour: "#009E73", shape: "barrel" },
    SCENE: { label: "Scene", colour: "#F0E442", shape: "round-diamond" },
    CHARACTER: { label: "Character", colour: "#CC79A7", shape: "ellipse" },
    ACTOR: { label: "Actor", colour: "#D55E00", shape: "round-pentagon" },
    CREATOR: { label: "Creator", colour: "#E69F00", shape: "round-tag" },
    WORK: { label: "Work", colour: "#8C6D31", shape: "rhomboid" },
    EVENT: { label: "Event", colour: "#5E5E5E", shape: "round-octagon" },
    SOURCE: { label: "Source", colour: "#A0A0A0", shape: "rectangle" }
  };
  var PAGE_SIZE = 50; // nodes per neighbourhood request
  var MAX_NODES = 200; // more than this is unreadable as a drawing
  var MAX_PATH_LENGTH = 10; // the most the API allows
  var SEARCH_DELAY_MS = 250; // typing pause before searching as you type
  var COMFORTABLE_ZOOM = 1.5; // labels are 11px at zoom 1

  // What a node is called in the drawing; the same for every query.
  var LABEL_FRAGMENT = [
    "fragment Label on Node {",
    "  id",
    "  __typename",
    "  ... on Show { name }",
    "  ... on Season { number show { name } }",
    "  ... on Episode { number title season { number } }",
    "  ... on Scene { kind summary }",
    "  ... on Character { name }",
    "  ... on Actor { name }",
    "  ... on Creator { name }",
    "  ... on Work { title }",
    "  ... on Event { name }",
    "  ... on Source { title }",
    "}"
  ].join("\n");

  var SEARCH_QUERY = [
    "query ExplorerSearch($text: String!) {",
    "  search(text: $text, first: 10) { score matched node { ...Label } }",
    "}",
    LABEL_FRAGMENT
  ].join("\n");

  var NEIGHBORHOOD_QUERY = [
    "query ExplorerNeighborhood($id: ID!, $depth: Int!, $first: Int!, $after: String) {",
    "  neighborhood(id: $id, depth: $depth, first: $first, after: $after) {",
    "    totalCount",
    "    truncated",
    "    pageInfo { hasNextPage endCursor }",
    "    nodes { distance node { ...Label } }",
    "    edges { relation source { id } target { id } sources { kind title } }",
    "  }",
    "}",
    LABEL_FRAGMENT
  ].join("\n");

  var PATH_QUERY = [
    "query ExplorerPath($from: ID!, $to: ID!, $maxLength: Int!) {",
    "  path(from: $from, to: $to, maxLength: $maxLength) { via forward node { ...Label } }",
    "}",
    LABEL_FRAGMENT
  ].join("\n");

  // A node's own facts, one inline fragment per type, and where they come from.
  // `kind` means a different type on Scene, Work and Source, so it is aliased
  // (one selection set may not ask for one name with two types).
  var DETAILS_QUERY = [
    "query ExplorerNode($id: ID!) {",
    "  node(id: $id) {",
    "    id",
    "    __typename",
    "    ... on Show { name network genres synopsis }",
    "    ... on Season { number status premiereDate filmingStarted filmingEnded",
    "                    episodeCount releasedAllAtOnce show { name } }",
    "    ... on Episode { title number releaseDate season { number } }",
    "    ... on Scene { sceneKind: kind summary location order episode { title } season { number } }",
    "    ... on Character { name fullName aliases }",
    "    ... on Actor { name }",
    "    ... on Creator { name }",
    "    ... on Work { title workKind: kind }",
    "    ... on Event { name description organizer location date }",
    "    ... on Source { title sourceKind: kind url publisher publishedOn note }",
    "    ... on Sourced { sources { kind title } }",
    "  }",
    "}"
  ].join("\n");

  var FIRST_SHOW_QUERY = "query ExplorerStart { shows(first: 1) { nodes { id } } }";

  // ---------------------------------------------------------------- state

  var endpoint = document.body.getAttribute("data-endpoint") || "graphql";
  var el = {
    cy: document.getElementById("cy"),
    tooltip: document.getElementById("tooltip"),
    status: document.getElementById("status"),
    searchForm: document.getElementById("search-form"),
    searchText: document.getElementById("search-text"),
    results: document.getElementById("results"),
    pathControls: document.getElementById("path-controls"),
    pathFrom: document.getElementById("path-from"),
    pathTo: document.getElementById("path-to"),
    depth: document.getElementById("depth"),
    details: document.getElementById("details"),
    legend: document.getElementById("legend")
  };
  var state = {
    mode: "explore", // or "path"
    centre: null, // id of the node whose neighbourhood was drawn last
    selected: null, // id of the node the details panel shows
    path: { from: null, to: null }, // {id, label, kind} of the picked ends
    hovered: null, // id under the pointer, so late answers do not show stale cards
    pointer: { x: 0, y: 0 }, // where it was, in the drawing's coordinates
    pending: 0, // requests in flight; tests wait for 0
    searchSeq: 0 // answers to older searches are dropped
  };
  var detailsCache = new Map(); // id -> Promise of the node's details
  var reducedMotion =
    window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  // ---------------------------------------------------------------- GraphQL

  function setBusy(delta) {
    state.pending += delta;
    document.body.setAttribute("data-busy", state.pending > 0 ? "true" : "false");
  }

  // POSTs one operation; resolves to `data`, rejects with the server's own
  // error messages (which say what was wrong).
  function graphql(query, variables) {
    setBusy(1);
    return fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/graphql-response+json, application/json"
      },
      body: JSON.stringify({ query: query, variables: variables || {} })
    })
      .then(function (response) {
        return response.json().then(
          function (body) {
            if (body.errors && body.errors.length) {
              throw new Error(body.errors.map(function (e) { return e.message; }).join("; "));
            }
            if (!response.ok) { throw new Error("the server answered " + response.status); }
            return body.data;
          },
          function () {
            throw new Error("the server answered " + response.status + " without JSON");
          }
        );
      })
      .finally(function () { setBusy(-1); });
  }

  // ---------------------------------------------------------------- labels

  function shorten(text, length) {
    return text.length <= length ? text : text.slice(0, length - 1).trimEnd() + "…";
  }

  function kindOf(node) {
    return node.__typename.toUpperCase();
  }

  function labelOf(node) {
    switch (node.__typename) {
      case "Season":
        return "Season " + node.number;
      case "Episode":
        return "S" + node.season.number + "E" + node.number + " · " + node.title;
      case "Scene":
        return shorten(node.summary, 40);
      case "Work":
      case "Source":
        return node.title;
      default:
        return node.name || node.__typename;
    }
  }

  function describe(node) {
    return { id: node.id, label: labelOf(node), kind: kindOf(node) };
  }

  // ---------------------------------------------------------------- drawing

  function graphStyle() {
    var style = [
      {
        selector: "node",
        style: {
          label: "data(label)",
          "font-size": 11,
          "font-family": "system-ui, sans-serif",
          color: "#1d2733",
          "text-valign": "bottom",
          "text-margin-y": 4,
          "text-wrap": "ellipsis",
          "text-max-width": "130px",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.8,
          "text-background-padding": "1px",
          "min-zoomed-font-size": 7,
          width: 26,
          height: 26,
          "border-width": 1,
          "border-color": "#ffffff"
        }
      },
      {
        selector: "edge",
        style: {
          label: "data(relation)",
          "font-size": 8,
          "font-family": "system-ui, sans-serif",
          color: "#4a5563",
          "text-rotation": "autorotate",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": "1px",
          "min-zoomed-font-size": 7,
          width: 1.5,
          "line-color": "#9aa5b1",
          "target-arrow-color": "#9aa5b1",
          "target-arrow-shape": "triangle",
          "arrow-scale": 0.8,
          "curve-style": "bezier"
        }
      },
      { selector: "node.expanded", style: { "border-width": 2, "border-color": "#1d2733" } },
      {
        selector: "node.centre, node.end",
        style: { width: 36, height: 36, "border-width": 3, "border-color": "#1d2733" }
      },
      {
        selector: "edge.path",
        style: { width: 3, "line-color": "#1d2733", "target-arrow-color": "#1d2733" }
      },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#0072B2" } }
    ];
    Object.keys(KINDS).forEach(function (kind) {
      style.push({
        selector: 'node[kind = "' + kind + '"]',
        style: { "background-color": KINDS[kind].colour, shape: KINDS[kind].shape }
      });
    });
    return style;
  }

  var cy = cytoscape({
    container: el.cy,
    style: graphStyle(),
    minZoom: 0.2,
    maxZoom: 3,
    boxSelectionEnabled: false,
    selectionType: "single"
  });

  function edgeId(source, relation, target) {
    return source + "|" + relation + "|" + target;
  }

  // Adds what is not drawn yet; returns the collection of elements added.
  function merge(nodes, edges, near) {
    var added = cy.collection();
    var origin = near ? near.position() : { x: 0, y: 0 };
    cy.batch(function () {
      nodes.forEach(function (node, index) {
        if (!cy.getElementById(node.id).empty()) { return; }
        // New nodes start around the node they came from, so they grow out of it.
        var angle = (2 * Math.PI * index) / Math.max(nodes.length, 1);
        added = added.union(
          cy.add({
            group: "nodes",
            data: node,
            position: { x: origin.x + 40 * Math.cos(angle), y: origin.y + 40 * Math.sin(angle) }
          })
        );
      });
      edges.forEach(function (edge) {
        var id = edgeId(edge.source, edge.relation, edge.target);
        if (!cy.getElementById(id).empty()) { return; }
        if (cy.getElementById(edge.source).empty() || cy.getElementById(edge.target).empty()) {
          return;
        }
        added = added.union(
          cy.add({
            group: "edges",
            data: {
              id: id,
              source: edge.source,
              target: edge.target,
              relation: edge.relation,
              sources: edge.sources
            }
          })
        );
      });
    });
    return added;
  }

  function runLayout(options) {
    var layout = cy.layout(
      Object.assign(
        {
          animate: !reducedMotion && cy.nodes().length < 150,
          animationDuration: 350,
          fit: true,
          padding: 30,
          nodeDimensionsIncludeLabels: true
        },
        options
      )
    );
    // Busy until the nodes stand still, so that whoever waits sees the result.
    setBusy(1);
    // A few nodes fitted to a big screen would be drawn huge: cap the zoom.
    layout.one("layoutstop", function () {
      setBusy(-1);
      if (cy.zoom() > COMFORTABLE_ZOOM) {
        cy.zoom({
          level: COMFORTABLE_ZOOM,
          renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 }
        });
        cy.center();
      }
    });
    layout.run();
  }

  // ---------------------------------------------------------------- status

  function setStatus(text, isError) {
    el.status.textContent = text;
    el.status.classList.toggle("error", Boolean(isError));
  }

  function failed(what) {
    return function (error) { setStatus(what + ": " + error.message, true); };
  }

  // ---------------------------------------------------------------- neighbourhoods

  // Every page of the neighbourhood, up to MAX_NODES nodes (nearest first).
  function fetchNeighbourhood(id, depth) {
    var result = { nodes: [], edges: [], totalCount: 0, truncated: false, cut: false };
    function page(after) {
      return graphql(NEIGHBORHOOD_QUERY, {
        id: id,
        depth: depth,
        first: PAGE_SIZE,
        after: after
      }).then(function (data) {
        var hood = data.neighborhood;
        result.totalCount = hood.totalCount;
        result.truncated = hood.truncated;
        hood.nodes.forEach(function (item) {
          var node = describe(item.node);
          node.distance = item.distance;
          result.nodes.push(node);
        });
        hood.edges.forEach(function (edge) {
          result.edges.push({
            source: edge.source.id,
            target: edge.target.id,
            relation: edge.relation,
            sources: edge.sources
          });
        });
        if (hood.pageInfo.hasNextPage && result.nodes.length < MAX_NODES) {
          return page(hood.pageInfo.endCursor);
        }
        result.cut = hood.pageInfo.hasNextPage;
        return result;
      });
    }
    return page(null);
  }

  function depth() {
    return parseInt(el.depth.value, 10) || 1;
  }

  function neighbourhoodSummary(centre, hood, steps) {
    var around = hood.nodes.length - 1;
    var text = centre + " and " + around + (around === 1 ? " node" : " nodes") +
      " within " + steps + (steps === 1 ? " step" : " steps");
    if (hood.cut || hood.truncated) {
      text += " (the nearest " + hood.nodes.length + " of " + hood.totalCount +
        (hood.truncated ? "+" : "") + ")";
    }
    return text + ". Click a node to expand it.";
  }

  // Draws the neighbourhood of `id` on a clean canvas.
  function showNeighbourhood(id) {
    var steps = depth();
    setStatus("Loading the neighbourhood…");
    return fetchNeighbourhood(id, steps).then(function (hood) {
      cy.elements().remove();
      merge(hood.nodes, hood.edges, null);
      var centre = cy.getElementById(id);
      centre.addClass("centre expanded");
      state.centre = id;
      var maxDistance = 0;
      hood.nodes.forEach(function (n) { maxDistance = Math.max(maxDistance, n.distance); });
      runLayout({
        name: "concentric",
        animate: false,
        minNodeSpacing: 24,
        concentric: function (node) { return maxDistance - (node.data("distance") || 0); },
        levelWidth: function () { return 1; }
      });
      rememberView({ node: id, depth: String(steps) });
      setStatus(neighbourhoodSummary(centre.data("label"), hood, steps));
      state.selected = id;
      showDetails(id, el.details);
    }, failed("Could not load the neighbourhood"));
  }

  // Adds the neighbourhood of an already drawn node to the drawing.
  function expand(id) {
    var steps = depth();
    var node = cy.getElementById(id);
    setStatus("Expanding " + node.data("label") + "…");
    return fetchNeighbourhood(id, steps).then(function (hood) {
      var added = merge(hood.nodes, hood.edges, node);
      node.addClass("expanded");
      if (added.nodes().length > 0) {
        runLayout({ name: "cose", randomize: false, nodeRepulsion: 9000, idealEdgeLength: 70 });
      }
      var count = added.nodes().length;
      renderLinks(state.selected);
      setStatus(node.data("label") + ": " +
        (count === 0 ? "nothing new within " + steps + (steps === 1 ? " step." : " steps.")
          : count + (count === 1 ? " node" : " nodes") + " added."));
    }, failed("Could not expand " + node.data("label")));
  }

  // ---------------------------------------------------------------- paths

  function renderPathEnds() {
    el.pathFrom.textContent = state.path.from ? state.path.from.label : "—";
    el.pathTo.textContent = state.path.to ? state.path.to.label : "—";
  }

  // In path mode every pick fills the next free end; a third pick starts over.
  function pick(node) {
    if (!state.path.from || state.path.to) {
      state.path.from = node;
      state.path.to = null;
    } else {
      state.path.to = node;
    }
    renderPathEnds();
    if (state.path.from && state.path.to) {
      return showPath(state.path.from.id, state.path.to.id);
    }
    setStatus("From " + node.label + ". Now pick where the path should end.");
    return Promise.resolve();
  }

  function showPath(fromId, toId) {
    setStatus("Looking for the shortest path…");
    return graphql(PATH_QUERY, { from: fromId, to: toId, maxLength: MAX_PATH_LENGTH }).then(
      function (data) {
        var steps = data.path;
        if (!steps) {
          setStatus("No path within " + MAX_PATH_LENGTH + " edges.", true);
          return;
        }
        var nodes = steps.map(function (step) { return describe(step.node); });
        var edges = [];
        for (var i = 1; i < steps.length; i++) {
          var previous = steps[i - 1].node.id;
          var here = steps[i].node.id;
          edges.push({
            source: steps[i].forward ? previous : here,
            target: steps[i].forward ? here : previous,
            relation: steps[i].via,
            sources: null // the path answer does not carry them; expand to see
          });
        }
        cy.elements().remove();
        var drawn = merge(nodes, edges, null);
        drawn.edges().addClass("path");
        cy.getElementById(fromId).addClass("end");
        cy.getElementById(toId).addClass("end");
        state.path.from = nodes[0];
        state.path.to = nodes[nodes.length - 1];
        renderPathEnds();
        runLayout({ name: "breadthfirst", roots: [fromId], directed: false, spacingFactor: 1.1,
          animate: false });
        rememberView({ from: fromId, to: toId });
        var length = steps.length - 1;
        setStatus("Shortest path from " + nodes[0].label + " to " +
          nodes[nodes.length - 1].label + ": " + length + (length === 1 ? " edge." : " edges."));
      },
      failed("Could not find a path")
    );
  }

  function setMode(mode) {
    state.mode = mode;
    el.pathControls.hidden = mode !== "path";
    document.querySelectorAll('input[name="mode"]').forEach(function (input) {
      input.checked = input.value === mode;
    });
    if (mode === "path") {
      setStatus("Path mode: pick two nodes, in the results or the drawing.");
    }
  }

  // ---------------------------------------------------------------- details

  var ALIASES = { sceneKind: "kind", workKind: "kind", sourceKind: "kind" };

  function humanise(field) {
    return (ALIASES[field] || field).replace(/([A-Z])/g, " $1").toLowerCase();
  }

  function formatValue(value) {
    if (Array.isArray(value)) { return value.map(formatValue).join(", "); }
    if (value && typeof value === "object") {
      return Object.keys(value).map(function (k) { return formatValue(value[k]); }).join(" ");
    }
    if (value === true) { return "yes"; }
    if (value === false) { return "no"; }
    return String(value);
  }

  function append(parent, tag, text, className) {
    var child = document.createElement(tag);
    if (text !== undefined) { child.textContent = text; }
    if (className) { child.className = className; }
    parent.appendChild(child);
    return child;
  }

  function renderDetails(container, node) {
    container.textContent = "";
    var title = append(container, "h3", labelOf(node));
    append(title, "span", KINDS[kindOf(node)] ? KINDS[kindOf(node)].label : node.__typename,
      "kind kind-" + kindOf(node).toLowerCase());
    var facts = append(container, "dl", undefined, "facts");
    var heading = labelOf(node);
    Object.keys(node).forEach(function (field) {
      var value = node[field];
      if (field === "id" || field === "__typename" || field === "sources") { return; }
      if ((field === "name" || field === "title") && value === heading) { return; }
      if (value === null || value === undefined || (Array.isArray(value) && !value.length)) {
        return;
      }
      append(facts, "dt", humanise(field));
      var dd = append(facts, "dd");
      if (field === "url" && /^https?:\/\//i.test(value)) {
        var link = append(dd, "a", value);
        link.href = value;
        link.rel = "noopener noreferrer";
        link.target = "_blank";
      } else {
        dd.textContent = formatValue(value);
      }
    });
    if (node.sources) {
      append(container, "h4", "Sources");
      var list = append(container, "ul", undefined, "sources");
      node.sources.forEach(function (source) {
        var item = append(list, "li");
        append(item, "span", source.kind, "badge");
        append(item, "span", " " + source.title);
      });
    }
  }

  function renderEdge(container, edge) {
    container.textContent = "";
    var source = cy.getElementById(edge.data("source")).data("label");
    var target = cy.getElementById(edge.data("target")).data("label");
    append(container, "h3", edge.data("relation"));
    append(container, "p", source + " → " + target);
    var sources = edge.data("sources");
    if (!sources) {
      append(container, "p", "Expand an end to see who states this link.", "hint");
      return;
    }
    append(container, "h4", "Sources");
    var list = append(container, "ul", undefined, "sources");
    sources.forEach(function (s) {
      var item = append(list, "li");
      append(item, "span", s.kind, "badge");
      append(item, "span", " " + s.title);
    });
  }

  function details(id) {
    if (!detailsCache.has(id)) {
      var request = graphql(DETAILS_QUERY, { id: id }).then(function (data) { return data.node; });
      request.catch(function () { detailsCache.delete(id); }); // try again next time
      detailsCache.set(id, request);
    }
    return detailsCache.get(id);
  }

  function showDetails(id, container) {
    return details(id).then(function (node) {
      if (!node) {
        container.textContent = "This node no longer exists.";
        return;
      }
      if (container === el.tooltip && state.hovered !== id) { return; }
      if (container === el.details && state.selected !== id) { return; }
      renderDetails(container, node);
      if (container === el.tooltip) {
        el.tooltip.hidden = false;
        placeTooltip(state.pointer);
      } else {
        renderLinks(id);
      }
    }, failed("Could not load the node's facts"));
  }

  // The drawn links of the selected node as buttons, so that the graph can be
  // walked with a keyboard or a screen reader too, not only with a pointer.
  var MAX_LINKS = 60;
  function renderLinks(id) {
    var old = el.details.querySelector(".links-section");
    if (old) { old.remove(); }
    var node = cy.getElementById(id);
    if (node.empty() || state.selected !== id) { return; }
    var edges = node.connectedEdges();
    if (!edges.length) { return; }
    var section = append(el.details, "div", undefined, "links-section");
    append(section, "h4", "Linked in the drawing");
    var list = append(section, "ul", undefined, "links");
    edges.slice(0, MAX_LINKS).forEach(function (edge) {
      var outgoing = edge.data("source") === id;
      var other = outgoing ? edge.target() : edge.source();
      var button = append(append(list, "li"), "button");
      button.type = "button";
      button.className = "link";
      button.setAttribute("data-id", other.id());
      // Read like the edge: "this RELATION other" or "other RELATION this".
      button.textContent = outgoing
        ? edge.data("relation") + " " + other.data("label")
        : other.data("label") + " " + edge.data("relation");
      button.addEventListener("click", function () { activate(other.id(), true); });
    });
    if (edges.length > MAX_LINKS) {
      append(section, "p", "… and " + (edges.length - MAX_LINKS) + " more.", "hint");
    }
  }

  // Places the hover card beside the pointer, inside the graph pane.
  function placeTooltip(position) {
    state.pointer = position;
    var pane = el.cy.getBoundingClientRect();
    var card = el.tooltip;
    var x = Math.min(position.x + 16, Math.max(8, pane.width - card.offsetWidth - 8));
    var y = Math.min(position.y + 16, Math.max(8, pane.height - card.offsetHeight - 8));
    card.style.left = x + "px";
    card.style.top = y + "px";
  }

  function hideTooltip() {
    state.hovered = null;
    el.tooltip.hidden = true;
  }

  // ---------------------------------------------------------------- search

  function renderResults(hits) {
    el.results.textContent = "";
    if (!hits.length) {
      append(el.results, "li", "Nothing found.", "hint");
      return;
    }
    hits.forEach(function (hit) {
      var node = describe(hit.node);
      var button = append(append(el.results, "li"), "button");
      button.type = "button";
      button.className = "result";
      button.setAttribute("data-id", node.id);
      append(button, "span", node.label, "result-label");
      append(button, "span", KINDS[node.kind] ? KINDS[node.kind].label : node.kind,
        "kind kind-" + node.kind.toLowerCase());
      if (hit.matched !== node.label) {
        append(button, "span", "matched “" + hit.matched + "”", "matched");
      }
      button.addEventListener("click", function () { choose(node); });
    });
  }

  function search(text) {
    var seq = ++state.searchSeq;
    text = text.trim();
    if (!text) {
      el.results.textContent = "";
      return Promise.resolve();
    }
    return graphql(SEARCH_QUERY, { text: text }).then(function (data) {
      if (seq === state.searchSeq) { renderResults(data.search); }
    }, failed("Search failed"));
  }

  // A search result was chosen: draw it, or use it as a path end.
  function choose(node) {
    if (state.mode === "path") { return pick(node); }
    return showNeighbourhood(node.id);
  }

  // ---------------------------------------------------------------- the URL

  // The view lives in the fragment (#node=...&depth=2, #from=...&to=...) so
  // that it can be bookmarked and shared; it never reaches the server.
  function rememberView(params) {
    var query = new URLSearchParams(params).toString();
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#" + query);
    }
  }

  function start() {
    var params = new URLSearchParams(window.location.hash.slice(1));
    if (params.get("depth")) { el.depth.value = params.get("depth"); }
    if (params.get("from") && params.get("to")) {
      setMode("path");
      return showPath(params.get("from"), params.get("to"));
    }
    if (params.get("node")) { return showNeighbourhood(params.get("node")); }
    return graphql(FIRST_SHOW_QUERY).then(function (data) {
      var shows = data.shows.nodes;
      if (!shows.length) {
        setStatus("The graph is empty.");
        return undefined;
      }
      return showNeighbourhood(shows[0].id);
    }, failed("Could not reach the GraphQL API"));
  }

  // ---------------------------------------------------------------- wiring

  function renderLegend() {
    Object.keys(KINDS).forEach(function (kind) {
      var item = append(el.legend, "li");
      var swatch = append(item, "span", undefined, "swatch");
      swatch.style.backgroundColor = KINDS[kind].colour;
      append(item, "span", KINDS[kind].label);
    });
  }

  // A node was chosen in the drawing (a tap or click) or in the details panel
  // (`fromPanel`, e.g. with the keyboard): show its facts and expand it, or
  // use it as a path end.
  function activate(id, fromPanel) {
    var node = cy.getElementById(id);
    hideTooltip();
    cy.elements().unselect();
    node.select();
    if (state.mode === "path") {
      return pick({ id: id, label: node.data("label"), kind: node.data("kind") });
    }
    state.selected = id;
    var shown = showDetails(id, el.details).then(function () {
      // Keyboard users keep their place: on the new node's heading.
      var heading = el.details.querySelector("h3");
      if (fromPanel && heading) {
        heading.tabIndex = -1;
        heading.focus();
      }
    });
    return Promise.all([shown, expand(id)]);
  }

  cy.on("tap", "node", function (event) { activate(event.target.id(), false); });
  cy.on("tap", "edge", function (event) {
    state.selected = null;
    renderEdge(el.details, event.target);
  });
  cy.on("tap", function (event) { if (event.target === cy) { hideTooltip(); } });
  cy.on("mouseover", "node", function (event) {
    el.cy.style.cursor = "pointer";
    state.hovered = event.target.id();
    placeTooltip(event.renderedPosition || event.target.renderedPosition());
    showDetails(event.target.id(), el.tooltip);
  });
  cy.on("mouseover", "edge", function (event) {
    state.hovered = event.target.id();
    renderEdge(el.tooltip, event.target);
    el.tooltip.hidden = false;
    placeTooltip(event.renderedPosition || event.target.midpoint());
  });
  cy.on("mouseout", "node, edge", function () {
    el.cy.style.cursor = "";
    hideTooltip();
  });
  cy.on("pan zoom", hideTooltip);

  var searchTimer = null;
  el.searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    window.clearTimeout(searchTimer);
    search(el.searchText.value);
  });
  el.searchText.addEventListener("input", function () {
    window.clearTimeout(searchTimer);
    var text = el.searchText.value;
    if (text.trim().length < 2) { return; }
    searchTimer = window.setTimeout(function () { search(text); }, SEARCH_DELAY_MS);
  });
  document.querySelectorAll('input[name="mode"]').forEach(function (input) {
    input.addEventListener("change", function () { if (input.checked) { setMode(input.value); } });
  });
  document.getElementById("path-swap").addEventListener("click", function () {
    var from = state.path.from;
    state.path.from = state.path.to;
    state.path.to = from;
    renderPathEnds();
    if (state.path.from && state.path.to) { showPath(state.path.from.id, state.path.to.id); }
  });
  document.getElementById("path-clear").addEventListener("click", function () {
    state.path.from = null;
    state.path.to = null;
    renderPathEnds();
  });
  document.getElementById("fit").addEventListener("click", function () { cy.fit(undefined, 30); });
  el.depth.addEventListener("change", function () {
    if (state.mode === "explore" && state.centre) { showNeighbourhood(state.centre); }
  });

  // For tests and the browser console: the drawing and what drives it.
  window.explorer = {
    cy: cy,
    state: state,
    search: search,
    showNeighbourhood: showNeighbourhood,
    expand: expand,
    showPath: showPath,
    setMode: setMode,
    activate: activate
  };

  renderLegend();
  setBusy(0);
  start();
})();
