#!/usr/bin/env node
// showgraph from Node.js: a traversal, a listing, a persisted query and live subscriptions.
//
// Usage:
//
//     npm ci                      # once, in examples/javascript: installs `ws`
//     node client.mjs [URL] [--token TOKEN] [--wait SECONDS]
//
// URL is the server (default: $SHOWGRAPH_URL, else http://127.0.0.1:8000); the
// GraphQL endpoint is URL/graphql unless URL already ends in /graphql. The
// token (default: $SHOWGRAPH_TOKEN; prefer the variable, since a command line
// is visible to other users of the machine) is only needed for steps 4 and 5
// to write something themselves.
//
// 1. A traversal: every actor, the characters they play, and the episodes of
//    each portrayal, in one query.
// 2. A paginated listing: the characters two at a time, following
//    pageInfo.endCursor until hasNextPage is false.
// 3. An automatic persisted query (Apollo's APQ): the query's sha256 alone
//    (unknown at first), then with its text (the server learns it), then the
//    hash alone again, over GET.
// 4. A subscription to graphChanged over WebSocket (the graphql-transport-ws
//    protocol), printing the first change. With a token, the example makes
//    that change itself: it records a new USER_EDIT source. Without one, it
//    waits up to --wait seconds for somebody else's.
// 5. The same subscription over Server-Sent Events (graphql-sse's distinct
//    connections mode: a POST with `Accept: text/event-stream`), read with
//    fetch alone.
//
// HTTP uses Node's built-in fetch. Node 20 has no built-in WebSocket client,
// so the subscription uses the `ws` package, pinned in package.json and
// package-lock.json. Exits 0 when every step worked, 1 when the server refused
// something (the message is printed), 2 on a bad command line.

import { createHash, randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import WebSocket from "ws";

const TRAVERSAL = `
query Traversal {
  actors(first: 10) {
    nodes {
      name
      portrayals {
        role
        character { name }
        episodes { number title season { number } }
      }
    }
  }
}`;

// `after` is null for the first page, then the previous page's endCursor.
const CHARACTER_PAGE = `
query CharacterPage($after: String) {
  characters(first: 2, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { name }
  }
}`;

const SUBSCRIPTION = `
subscription Changes {
  graphChanged { graphVersion writer summary changed { id kind } }
}`;

// A source records where facts come from; this one only says the example ran.
const MUTATION = `
mutation Note($title: String!) {
  createSource(input: {fields: {title: $title, kind: USER_EDIT}}) {
    node { id }
    userErrors { field message }
    graphVersion
  }
}`;

const PROTOCOL = "graphql-transport-ws";

class GraphQLError extends Error {}

/** The Authorization header, when there is a token (for writes and subscriptions). */
function auth(client) {
  return client.token ? { Authorization: `Bearer ${client.token}` } : {};
}

/** POSTs one operation; resolves to `data`, rejects with the server's own messages. */
async function execute(client, query, variables = {}, { write = false } = {}) {
  const headers = {
    "Content-Type": "application/json",
    Accept: "application/graphql-response+json, application/json",
  };
  if (write && client.token) {
    // Reads are public: the token travels only when it is needed.
    headers.Authorization = `Bearer ${client.token}`;
  }
  const response = await fetch(client.endpoint, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new GraphQLError(`HTTP ${response.status} without a JSON body`);
  }
  if (body.errors?.length) {
    const messages = body.errors.map((error) => error.message).join("; ");
    throw new GraphQLError(`HTTP ${response.status}: ${messages}`);
  }
  if (!response.ok) throw new GraphQLError(`HTTP ${response.status}`);
  return body.data;
}

/** Step 1: actor -> portrayals -> character -> episodes, in one round trip. */
async function traverse(client) {
  console.log("== Traversal: actors -> portrayals -> character -> episodes");
  const { actors } = await execute(client, TRAVERSAL);
  for (const actor of actors.nodes) {
    for (const portrayal of actor.portrayals) {
      const episodes = portrayal.episodes;
      let line =
        `${actor.name} plays ${portrayal.character.name} (${portrayal.role}) ` +
        `in ${episodes.length} episode${episodes.length === 1 ? "" : "s"}`;
      if (episodes.length) {
        line += ": " + episodes.map((e) => `S${e.season.number}E${e.number} "${e.title}"`).join(", ");
      }
      console.log(line);
    }
  }
}

/** Step 2: a connection, two items a page, until there is no next page. */
async function listCharacters(client) {
  console.log("== Paginated listing: characters, 2 a page");
  let after = null;
  let pages = 0;
  let seen = 0;
  let total = 0;
  for (;;) {
    const { characters } = await execute(client, CHARACTER_PAGE, { after });
    pages += 1;
    seen += characters.nodes.length;
    total = characters.totalCount;
    console.log(`page ${pages}: ${characters.nodes.map((node) => node.name).join(", ")}`);
    if (!characters.pageInfo.hasNextPage) break;
    after = characters.pageInfo.endCursor;
  }
  console.log(`${seen} of ${total} characters in ${pages} pages`);
}

/**
 * Messages of a socket as a queue: `next()` resolves to the next message,
 * answering the server's keep-alive pings on the way, and rejects when the
 * socket fails or closes.
 */
function messages(socket) {
  const queued = [];
  const waiting = [];
  let failure = null;
  const settle = () => {
    while (waiting.length && (queued.length || failure)) {
      const { resolve, reject } = waiting.shift();
      if (queued.length) resolve(queued.shift());
      else reject(failure);
    }
  };
  socket.on("message", (data) => {
    const message = JSON.parse(data.toString());
    if (message.type === "ping") {
      socket.send(JSON.stringify({ type: "pong" }));
      return;
    }
    queued.push(message);
    settle();
  });
  socket.on("error", (error) => {
    failure ??= error;
    settle();
  });
  socket.on("close", (code, reason) => {
    failure ??= new GraphQLError(`the server closed the socket (${code} ${reason})`);
    settle();
  });
  return {
    next: () => new Promise((resolve, reject) => {
      waiting.push({ resolve, reject });
      settle();
    }),
  };
}

async function expect(inbox, type) {
  const message = await inbox.next();
  if (message.type !== type) {
    throw new GraphQLError(`expected ${type} from the server, got ${JSON.stringify(message)}`);
  }
  return message;
}

/** The next result of the subscription `id`. */
async function nextEvent(inbox, id) {
  for (;;) {
    const message = await inbox.next();
    if (message.id !== id) continue;
    if (message.type === "next") {
      if (message.payload.errors?.length) {
        throw new GraphQLError(message.payload.errors.map((e) => e.message).join("; "));
      }
      return message.payload.data;
    }
    if (message.type === "error") {
      throw new GraphQLError(message.payload.map((e) => e.message).join("; "));
    }
    throw new GraphQLError("the server ended the subscription");
  }
}

/** The endpoint with ws:// for http:// and wss:// for https://. */
/** Step 3: a query by its sha256 hash, as Apollo's persisted-queries link sends it. */
async function persistedQuery(client) {
  console.log("== Persisted query: by hash, then with its text, then by hash over GET");
  // A comment makes this run's document (and hash) its own, so the first ask is unknown.
  const query = `query PersistedActors { actors { totalCount } } # run ${randomUUID()}`;
  const sha256Hash = createHash("sha256").update(query).digest("hex");
  const extensions = { persistedQuery: { version: 1, sha256Hash } };
  const post = (body) =>
    fetch(client.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then((response) => response.json());
  const unknown = await post({ extensions });
  console.log(`by hash: ${unknown.errors[0].message}`);
  const learnt = await post({ query, extensions });
  console.log(`with its text: ${learnt.data.actors.totalCount} actors`);
  const url = `${client.endpoint}?extensions=${encodeURIComponent(JSON.stringify(extensions))}`;
  const again = await (await fetch(url)).json();
  if (again.errors?.length) throw new GraphQLError(again.errors.map((e) => e.message).join("; "));
  console.log(`by hash over GET: ${again.data.actors.totalCount} actors`);
}

/** The change a subscription will see: a new USER_EDIT source. */
async function writeNote(client) {
  const title = `showgraph example client, ${new Date().toISOString().slice(0, 19)}Z`;
  const { createSource } = await execute(client, MUTATION, { title }, { write: true });
  if (createSource.userErrors.length) {
    throw new GraphQLError(createSource.userErrors.map((e) => e.message).join("; "));
  }
  console.log(`wrote: source "${title}" (graph version ${createSource.graphVersion})`);
}

function printEvent(event) {
  const changed = event.changed.map((node) => `${node.kind} ${node.id}`).join(", ");
  console.log(
    `event: graph version ${event.graphVersion}, "${event.summary}" ` +
      `by ${event.writer}; changed ${changed}`,
  );
}

/** The first `data:` of an event stream's `next` events, parsed; null if it ends first. */
async function firstResult(body) {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = text.indexOf("\n\n")) >= 0) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const data = block.split("\n").find((line) => line.startsWith("data: "));
      if (block.startsWith("event: next") && data) return JSON.parse(data.slice(6));
    }
  }
  return null;
}

/**
 * Step 5: the subscription over Server-Sent Events. The server sends the
 * response's headers once the subscription listens, so a change made after
 * fetch resolves reaches it. Lines starting with ":" are keep-alive comments.
 */
async function watchEvents(client, wait) {
  console.log("== Subscription over Server-Sent Events: graphChanged");
  const stop = new AbortController();
  const response = await fetch(client.endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "text/event-stream", ...auth(client) },
    body: JSON.stringify({ query: SUBSCRIPTION }),
    signal: stop.signal,
  });
  if (!response.ok) throw new GraphQLError(`HTTP ${response.status}: ${await response.text()}`);
  console.log(`subscribed at ${client.endpoint} (text/event-stream)`);
  try {
    if (client.token) {
      await writeNote(client);
    } else {
      console.log(`no token: waiting up to ${wait} s for somebody else's change`);
    }
    const result = await Promise.race([firstResult(response.body), timeout(wait)]);
    if (result === null) {
      console.log(`no change within ${wait} s`);
      return !client.token;
    }
    if (result.errors?.length) {
      throw new GraphQLError(result.errors.map((e) => e.message).join("; "));
    }
    printEvent(result.data.graphChanged);
    return true;
  } finally {
    stop.abort(); // closing the stream ends the subscription
  }
}

function websocketUrl(endpoint) {
  const url = new URL(endpoint);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}

function timeout(seconds) {
  return new Promise((resolve) => setTimeout(() => resolve(null), seconds * 1000).unref());
}

/**
 * Step 4: subscribe, make (or wait for) a change, print the first event.
 * Resolves to false when no change came within `wait` seconds although we made one.
 */
async function watch(client, wait) {
  console.log("== Subscription over WebSocket: graphChanged");
  const url = websocketUrl(client.endpoint);
  const socket = new WebSocket(url, PROTOCOL, { handshakeTimeout: 10_000 });
  const inbox = messages(socket);
  const send = (message) => socket.send(JSON.stringify(message));
  try {
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
      socket.once("unexpected-response", (request, response) =>
        reject(new GraphQLError(`the server refused the WebSocket: HTTP ${response.statusCode}`)),
      );
    });
    // With a token the events say who made each change (writers are shown only
    // to readers with one, unless the server shows them to everyone).
    send({ type: "connection_init", payload: auth(client) });
    await expect(inbox, "connection_ack");
    send({ id: "1", type: "subscribe", payload: { query: SUBSCRIPTION } });
    // graphql-transport-ws does not acknowledge a subscribe. The server
    // handles messages in order, so once the pong is back it has started the
    // subscription and a change made now will reach it.
    send({ type: "ping" });
    await expect(inbox, "pong");
    console.log(`subscribed at ${url}`);

    if (client.token) {
      await writeNote(client);
    } else {
      console.log(`no token: waiting up to ${wait} s for somebody else's change`);
    }

    const data = await Promise.race([nextEvent(inbox, "1"), timeout(wait)]);
    if (data === null) {
      console.log(`no change within ${wait} s`);
      return !client.token;
    }
    send({ id: "1", type: "complete" });
    printEvent(data.graphChanged);
    return true;
  } finally {
    socket.close();
  }
}

function endpointOf(url) {
  const trimmed = url.replace(/\/+$/, "");
  return trimmed.endsWith("/graphql") ? trimmed : `${trimmed}/graphql`;
}

async function main() {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: {
        token: { type: "string" },
        wait: { type: "string", default: "10" },
      },
    });
  } catch (error) {
    console.error(`usage: node client.mjs [URL] [--token TOKEN] [--wait SECONDS]\n${error.message}`);
    return 2;
  }
  const wait = Number(args.values.wait);
  if (!(wait >= 0) || args.positionals.length > 1) {
    console.error("usage: node client.mjs [URL] [--token TOKEN] [--wait SECONDS]");
    return 2;
  }
  const client = {
    endpoint: endpointOf(
      args.positionals[0] ?? process.env.SHOWGRAPH_URL ?? "http://127.0.0.1:8000",
    ),
    token: args.values.token ?? (process.env.SHOWGRAPH_TOKEN || null),
  };
  try {
    await traverse(client);
    await listCharacters(client);
    await persistedQuery(client);
    const overSocket = await watch(client, wait);
    const overEvents = await watchEvents(client, wait);
    return overSocket && overEvents ? 0 : 1;
  } catch (error) {
    console.error(`error: ${error.message}`);
    return 1;
  }
}

process.exitCode = await main();
