#!/usr/bin/env bash
# Re-vendor the GraphiQL browser assets into server/static/graphiql/.
#
# Why: the GraphiQL page must work offline (no CDN), so the exact, pinned
# browser bundles are committed to the repo. This script is the only way they
# should change: bump a version below, run it, review the diff of VERSIONS.txt.
#
# It downloads the pinned packages with `npm pack` (registry tarballs, no
# install scripts run), copies only the minified files the page loads plus each
# package's LICENSE, and rewrites VERSIONS.txt with sha256 sums. Output depends
# only on the pinned versions, so re-running it is idempotent.
#
# graphiql 4.x is the last line that ships the UMD bundle (graphiql.min.js,
# global `GraphiQL`); 5.x is ESM + Monaco only. graphiql 4 accepts React 18 or
# 19, but React 19 ships no UMD builds, so React stays on 18.
set -euo pipefail

GRAPHIQL_VERSION="4.1.2"
REACT_VERSION="18.3.1"
REACT_DOM_VERSION="18.3.1"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${repo_root}/server/static/graphiql"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

# pkg@version|path inside tarball|file name in ${dest}
files=(
  "graphiql@${GRAPHIQL_VERSION}|package/graphiql.min.js|graphiql.min.js"
  "graphiql@${GRAPHIQL_VERSION}|package/graphiql.min.css|graphiql.min.css"
  "graphiql@${GRAPHIQL_VERSION}|package/LICENSE|LICENSE.graphiql"
  "react@${REACT_VERSION}|package/umd/react.production.min.js|react.production.min.js"
  "react@${REACT_VERSION}|package/LICENSE|LICENSE.react"
  "react-dom@${REACT_DOM_VERSION}|package/umd/react-dom.production.min.js|react-dom.production.min.js"
  "react-dom@${REACT_DOM_VERSION}|package/LICENSE|LICENSE.react-dom"
)

for spec in "graphiql@${GRAPHIQL_VERSION}" "react@${REACT_VERSION}" "react-dom@${REACT_DOM_VERSION}"; do
  mkdir -p "${work}/${spec}"
  tarball="$(cd "${work}" && npm pack --silent --ignore-scripts "${spec}" | tail -n 1)"
  tar -xzf "${work}/${tarball}" -C "${work}/${spec}"
done

mkdir -p "${dest}"
# Start from a clean directory so files dropped from the list do not linger.
find "${dest}" -mindepth 1 -maxdepth 1 -type f -delete

for entry in "${files[@]}"; do
  IFS='|' read -r spec src name <<<"${entry}"
  install -p -m 0644 "${work}/${spec}/${src}" "${dest}/${name}"
done

{
  echo "# Vendored GraphiQL assets, written by scripts/refresh_graphiql.sh; do not edit."
  echo "# Files are byte-for-byte copies from the npm registry tarballs."
  echo "# package@version  licence (full text in LICENSE.<package>)"
  for spec in "graphiql@${GRAPHIQL_VERSION}" "react@${REACT_VERSION}" "react-dom@${REACT_DOM_VERSION}"; do
    licence="$(node -p "require(process.argv[1]).license" "${work}/${spec}/package/package.json")"
    echo "${spec}  ${licence}"
  done
  echo
  echo "# sha256  file  (package@version:path in tarball)"
  for entry in "${files[@]}"; do
    IFS='|' read -r spec src name <<<"${entry}"
    sum="$(sha256sum "${dest}/${name}" | cut -d' ' -f1)"
    echo "${sum}  ${name}  (${spec}:${src#package/})"
  done
} >"${dest}/VERSIONS.txt"

echo "Vendored into ${dest}:"
ls -l "${dest}"
