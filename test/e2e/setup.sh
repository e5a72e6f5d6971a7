#!/usr/bin/env bash
# Installs what the end-to-end tests need, idempotently, from a fresh clone:
#   - Debian packages: chromium (the browser playwright drives), ripgrep (code-server's search
#     binary, see below) and libkrb5-dev (code-server's `kerberos` module builds from source);
#   - code-server and playwright-core, each into its own folder under test/e2e/.cache/ named by
#     its version, so a second run on the same machine reuses them and a version bump rebuilds.
# Anything that cannot be installed is a failure with a message saying what to do: the e2e
# stage must never pass by silently skipping.
#
# Why code-server and not desktop VS Code: @vscode/test-electron and @vscode/test-web download
# VS Code from hosts these machines cannot reach. code-server from the npm registry is the real
# workbench with a real Node extension host (see /work/shared/recipes/e2e-code-server.md).
set -euo pipefail

# code-server 4.100.3 (VS Code 1.100.3) is the newest release that accepts Node 20; newer
# ones need Node 22 or 24. package.json's engines.vscode must stay at or below ^1.100.0.
CODE_SERVER_VERSION=4.100.3
PLAYWRIGHT_VERSION=1.65.1
# @vscode/ripgrep, which code-server 4.100.3 depends on, downloads this ripgrep build from
# GitHub in its postinstall; we pre-seed its download cache with Debian's rg instead.
VSCODE_RIPGREP_VERSION=1.15.11
RIPGREP_ASSET_VERSION=v13.0.0-10

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The installs live outside the clone, so every fresh clone on one machine (CI checks out a new
# one each time) reuses them; WEFT_E2E_CACHE moves them. Only paths.json, which tells this
# clone's run.mjs where they are, stays in test/e2e/.cache/.
CACHE="${WEFT_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/weft-e2e}"
LOCAL="$HERE/.cache"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
PW_DIR="$CACHE/playwright-core-$PLAYWRIGHT_VERSION"

fail() {
  echo "e2e setup: FAILED: $*" >&2
  exit 1
}
log() { echo "e2e setup: $*"; }

# ---------------------------------------------------------------------------------------------
# System packages.
# ---------------------------------------------------------------------------------------------
missing_debs=()
command -v chromium >/dev/null 2>&1 || missing_debs+=(chromium)
command -v rg >/dev/null 2>&1 || missing_debs+=(ripgrep)
# The headers are only needed to build code-server's kerberos module, i.e. on a cold cache.
if [[ ! -f "$CS_DIR/.complete" && ! -f /usr/include/gssapi/gssapi.h ]]; then
  missing_debs+=(libkrb5-dev)
fi

if ((${#missing_debs[@]} > 0)); then
  log "installing Debian packages: ${missing_debs[*]}"
  if ! command -v apt-get >/dev/null 2>&1; then
    fail "missing ${missing_debs[*]} and there is no apt-get here; install them by hand"
  fi
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || fail "missing ${missing_debs[*]}; run as root or install them by hand"
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # `apt-get update` is slow and needs the network: only run it when the package lists are
  # empty or the install cannot find a package in the lists we have.
  if ! compgen -G "/var/lib/apt/lists/*_Packages*" >/dev/null; then
    "${SUDO[@]}" apt-get update -q || fail "apt-get update failed"
  fi
  if ! "${SUDO[@]}" apt-get install -y -q "${missing_debs[@]}"; then
    log "apt-get install failed; refreshing the package lists and trying once more"
    "${SUDO[@]}" apt-get update -q || fail "apt-get update failed"
    "${SUDO[@]}" apt-get install -y -q "${missing_debs[@]}" || fail "apt-get install ${missing_debs[*]} failed"
  fi
fi
command -v chromium >/dev/null 2>&1 || fail "chromium is not on PATH after installing it"
command -v rg >/dev/null 2>&1 || fail "rg (ripgrep) is not on PATH after installing it"

# ---------------------------------------------------------------------------------------------
# npm packages, each into a versioned cache folder. A folder counts as installed only once it
# has `.complete`, written after a smoke test; an install runs in a staging folder that is
# renamed into place, so an interrupted run never leaves a half-installed cache behind.
# ---------------------------------------------------------------------------------------------
mkdir -p "$CACHE"

# npm settings for installing code-server as root on these machines:
#  - unsafe-perm: as root npm would otherwise drop privileges for scripts and fail to write;
#  - yes: node-pty's postinstall runs `npx`, which this machine's npm config answers "no" to;
#  - nodedir: node-gyp must build against the local Node headers (no header download);
#  - audit/fund/update-notifier off: no needless requests.
export npm_config_unsafe_perm=true
export npm_config_yes=true
export npm_config_nodedir=/usr
export npm_config_audit=false
export npm_config_fund=false
export npm_config_update_notifier=false
export npm_config_loglevel=warn

# Writes a package.json for a cache folder. npm 11 reviews dependency install scripts through
# the `allowScripts` policy of the project's package.json (advisory in npm 11, blocking in a
# later release), so the packages whose native builds or postinstalls code-server needs are
# approved by name; the fourth argument is that JSON object.
write_package_json() {
  local dir=$1 dep=$2 version=$3 allow=$4
  cat >"$dir/package.json" <<EOF
{
  "name": "weft-e2e-cache",
  "private": true,
  "description": "Installed by test/e2e/setup.sh; safe to delete.",
  "dependencies": { "$dep": "$version" },
  "allowScripts": $allow
}
EOF
}
CODE_SERVER_SCRIPTS='{ "code-server": true, "argon2": true, "kerberos": true, "node-pty": true,
    "@vscode/ripgrep": true, "@vscode/spdlog": true, "@parcel/watcher": true,
    "native-watchdog": true, "@vscode/deviceid": true, "@vscode/native-watchdog": true }'

install_code_server() {
  if [[ -f "$CS_DIR/.complete" ]]; then
    log "code-server $CODE_SERVER_VERSION: cached in ${CS_DIR#"$HERE"/}"
    return
  fi
  log "code-server $CODE_SERVER_VERSION: installing (native modules build from source, 2-5 min)"
  local stage="$CS_DIR.partial.$$"
  rm -rf "$stage"
  mkdir -p "$stage/tmp"
  write_package_json "$stage" code-server "$CODE_SERVER_VERSION" "$CODE_SERVER_SCRIPTS"

  # Pre-seed @vscode/ripgrep's download cache (it lives under os.tmpdir()) with Debian's rg,
  # packed the way the GitHub release is: `rg` at the archive root.
  local arch
  case "$(uname -m)" in
    x86_64) arch=x86_64-unknown-linux-musl ;;
    aarch64) arch=aarch64-unknown-linux-musl ;;
    *) fail "no ripgrep asset name known for $(uname -m)" ;;
  esac
  local rgcache="$stage/tmp/vscode-ripgrep-cache-$VSCODE_RIPGREP_VERSION"
  mkdir -p "$rgcache"
  tar -czf "$rgcache/ripgrep-$RIPGREP_ASSET_VERSION-$arch.tar.gz" -C "$(dirname "$(command -v rg)")" rg

  # --foreground-scripts shows the native builds as they run (and their errors in the log).
  if ! (cd "$stage" && TMPDIR="$stage/tmp" npm install --no-package-lock --foreground-scripts \
      >"$stage/install.log" 2>&1); then
    tail -n 60 "$stage/install.log" >&2
    fail "npm install code-server@$CODE_SERVER_VERSION failed (full log: $stage/install.log)"
  fi
  local bin="$stage/node_modules/.bin/code-server"
  [[ -x "$bin" ]] || fail "code-server installed without its bin script ($bin)"
  # Smoke test 1: the entry point loads and is the version we asked for. Its state (it writes a
  # default config file) goes to the staging folder, not to the user's home.
  local got
  got=$(XDG_CONFIG_HOME="$stage/tmp/xdg" XDG_DATA_HOME="$stage/tmp/xdg" "$bin" --version 2>&1 | tail -n 1) ||
    fail "code-server --version failed: $got"
  [[ $got == "$CODE_SERVER_VERSION"* ]] || fail "code-server --version printed '$got', expected $CODE_SERVER_VERSION"
  # Smoke test 2: the native modules the workbench server and extension host load at startup
  # were built. code-server's own postinstall runs a second `npm install` in lib/vscode, whose
  # package.json we cannot give an allowScripts policy; if a future npm blocks those scripts,
  # this is where it shows, rather than as a server that dies in the middle of a test.
  local vs="$stage/node_modules/code-server/lib/vscode/node_modules" native
  for native in node-pty/build/Release/pty.node @vscode/spdlog/build/Release/spdlog.node \
      native-watchdog/build/Release/watchdog.node "@parcel/watcher-linux-*/watcher.node"; do
    # shellcheck disable=SC2086 # the glob in the last entry is meant to expand
    compgen -G "$vs/$native" >/dev/null ||
      fail "code-server's native module $native was not built: npm did not run its install script
  (npm 11 'install-scripts' policy?). Re-run with npm_config_dangerously_allow_all_scripts=true
  to let code-server's nested install build it. Log: $stage/install.log"
  done
  # The installed rg must be a working binary (not a failed download).
  "$vs/@vscode/ripgrep/bin/rg" --version >/dev/null 2>&1 || fail "@vscode/ripgrep has no working rg binary"
  rm -rf "$stage/tmp"
  touch "$stage/.complete"
  rm -rf "$CS_DIR"
  mv "$stage" "$CS_DIR"
  log "code-server $CODE_SERVER_VERSION: installed"
}

install_playwright() {
  if [[ -f "$PW_DIR/.complete" ]]; then
    log "playwright-core $PLAYWRIGHT_VERSION: cached in ${PW_DIR#"$HERE"/}"
    return
  fi
  log "playwright-core $PLAYWRIGHT_VERSION: installing"
  local stage="$PW_DIR.partial.$$"
  rm -rf "$stage"
  mkdir -p "$stage"
  write_package_json "$stage" playwright-core "$PLAYWRIGHT_VERSION" "{}"
  # playwright-core has no install scripts and no dependencies; it never downloads browsers
  # (we use Debian's chromium).
  (cd "$stage" && npm install --no-package-lock >"$stage/install.log" 2>&1) ||
    { tail -n 30 "$stage/install.log" >&2; fail "npm install playwright-core@$PLAYWRIGHT_VERSION failed"; }
  node -e "require('$stage/node_modules/playwright-core').chromium" ||
    fail "playwright-core does not load"
  touch "$stage/.complete"
  rm -rf "$PW_DIR"
  mv "$stage" "$PW_DIR"
  log "playwright-core $PLAYWRIGHT_VERSION: installed"
}

install_code_server
install_playwright

# Old versions of either are left by a version bump; they are only disk space, so drop them.
for old in "$CACHE"/code-server-* "$CACHE"/playwright-core-*; do
  [[ -e $old ]] || continue
  [[ $old == "$CS_DIR" || $old == "$PW_DIR" ]] && continue
  [[ $old == *.partial.* ]] && kill -0 "${old##*.}" 2>/dev/null && continue # another setup running
  log "removing stale cache ${old#"$HERE"/}"
  rm -rf "$old"
done

# Tell run.mjs where everything is (it also finds them itself from the same versions).
mkdir -p "$LOCAL"
cat >"$LOCAL/paths.json" <<EOF
{
  "codeServer": "$CS_DIR/node_modules/.bin/code-server",
  "codeServerVersion": "$CODE_SERVER_VERSION",
  "playwrightCore": "$PW_DIR/node_modules/playwright-core",
  "chromium": "$(command -v chromium)"
}
EOF
log "ready"
