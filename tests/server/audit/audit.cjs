#!/usr/bin/env node
// Runs the graphql-http server audit (every GraphQL-over-HTTP check the
// package knows) against the GraphQL endpoint given as the only argument, and
// prints one JSON array: {id, name, status, reason} per audit, where status
// is "ok" for a pass and "notice", "warn" or "error" otherwise.
// Used by tests/server/test_audit.py; run by hand with
//   node tests/server/audit/audit.cjs http://127.0.0.1:8000/graphql
"use strict";

const { auditServer } = require("graphql-http");

async function main(url) {
  if (!url) {
    process.stderr.write("usage: audit.cjs URL\n");
    return 2;
  }
  const results = await auditServer({ url });
  const report = results.map((result) => ({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === "ok" ? null : result.reason,
    responseStatus: result.status === "ok" ? null : result.response.status,
  }));
  process.stdout.write(JSON.stringify(report) + "\n");
  return 0;
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`audit failed to run: ${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  },
);
