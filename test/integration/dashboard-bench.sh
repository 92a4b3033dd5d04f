#!/usr/bin/env bash
# The dashboard benchmark (dashboard-bench.ts) on the integration tests'
# control plane: bash test/integration/dashboard-bench.sh [CANARIES]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
loader="file://$repo/node_modules/@tapjs/typescript/dist/esm/import.mjs"
TS_NODE_TRANSPILE_ONLY=1 exec bash "$here/run.sh" node --import="$loader" "$here/dashboard-bench.ts" "$@"
