#!/usr/bin/env node
// Entry point of the `tvix` CLI. tvix-ts runs its TypeScript sources directly on Node 24
// (type stripping); when started by an older system Node, re-run under the Node 24 that
// `npm ci` installed (the `node` package) instead of failing on syntax.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  const node24 = fileURLToPath(new URL("../node_modules/node/bin/node", import.meta.url));
  const child = spawnSync(node24, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit" });
  if (child.error) {
    process.stderr.write(`error: tvix-ts needs Node 24; run 'npm ci' to install it (${child.error.message})\n`);
    process.exit(1);
  }
  process.exit(child.status ?? 1);
} else {
  // V8's code cache for our modules (in the OS temp dir) makes start-up about 3× faster.
  const { enableCompileCache } = await import("node:module");
  enableCompileCache?.();
  const { main } = await import("../src/cli/main.ts");
  process.exitCode = await main(process.argv.slice(2));
}
