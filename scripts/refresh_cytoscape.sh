#!/usr/bin/env bash
# Re-vendor Cytoscape.js into server/static/explorer/ for the graph explorer.
#
# Why: the explorer page (/explore) must work offline (no CDN), so the exact,
# pinned browser bundle is committed to the repo. This script is the only way it
# should change: bump the version below, run it, review the diff of VERSIONS.txt.
#
# It downloads the pinned package with `npm pack` (a registry tarball, checked
# against the registry's integrity hash by npm; no install scripts run), copies
# only the minified UMD build the page loads (global `cytoscape`) and the
# LICENSE, and rewrites VERSIONS.txt with sha256 sums. The explorer's own files
# (explorer.html, explorer.js, explorer.css) live in the same directory and are
# left alone. Output depends only on the pinned version, so re-running it is
# idempotent.
set -euo pipefail

CYTOSCAPE_VERSION="3.35.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${repo_root}/server/static/explorer"
spec="cytoscape@${CYTOSCAPE_VERSION}"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

# path inside tarball|file name in ${dest}
files=(
  "package/dist/cytoscape.min.js|cytoscape.min.js"
  "package/LICENSE|LICENSE.cytoscape"
)

tarball="$(cd "${work}" && npm pack --silent --ignore-scripts "${spec}" | tail -n 1)"
mkdir -p "${work}/unpacked"
tar -xzf "${work}/${tarball}" -C "${work}/unpacked"
integrity="$(npm view --silent "${spec}" dist.integrity)"
licence="$(node -p "require(process.argv[1]).license" "${work}/unpacked/package/package.json")"

mkdir -p "${dest}"
for entry in "${files[@]}"; do
  IFS='|' read -r src name <<<"${entry}"
  install -p -m 0644 "${work}/unpacked/${src}" "${dest}/${name}"
done

{
  echo "# Vendored Cytoscape.js, written by scripts/refresh_cytoscape.sh; do not edit."
  echo "# Files are byte-for-byte copies from the npm registry tarball."
  echo "# package@version  licence (full text in LICENSE.cytoscape)  tarball integrity"
  echo "${spec}  ${licence}  ${integrity}"
  echo
  echo "# sha256  file  (package@version:path in tarball)"
  for entry in "${files[@]}"; do
    IFS='|' read -r src name <<<"${entry}"
    sum="$(sha256sum "${dest}/${name}" | cut -d' ' -f1)"
    echo "${sum}  ${name}  (${spec}:${src#package/})"
  done
} >"${dest}/VERSIONS.txt"

echo "Vendored ${spec} into ${dest}:"
ls -l "${dest}"
