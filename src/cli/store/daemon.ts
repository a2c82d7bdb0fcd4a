// `tvix store daemon`: serves a store over gRPC (tvix.castore.v1, tvix.store.v1 and
// grpc.health.v1) until SIGINT or SIGTERM, then finishes running calls and closes the store.
import * as grpc from "@grpc/grpc-js";
import { CastoreError } from "../../castore/errors.ts";
import { type Daemon, parseListenAddress, serveStore } from "../../store/daemon.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { STORE_OPTION, STORE_OPTION_HELP, openStoreFromArgs } from "../store-options.ts";

const DEFAULT_LISTEN = "[::1]:8000";

const DAEMON_HELP = `Usage: tvix store daemon [--listen unix:///PATH | HOST:PORT] [--store URL]

Serves the store over gRPC, wire-compatible with Tvix: BlobService and DirectoryService
(tvix.castore.v1), PathInfoService (tvix.store.v1) and the gRPC health service. Other tvix
commands reach it with --store grpc+unix:///PATH or --store grpc+http://HOST:PORT.
Runs until SIGINT or SIGTERM.

  --listen ADDR  unix:///PATH (a Unix socket) or HOST:PORT (plaintext HTTP/2; port 0
                 picks a free one); default ${DEFAULT_LISTEN}, where Tvix's clients look
${STORE_OPTION_HELP}`;

/**
 * `listen` if it is an address a daemon can listen on (a usage error otherwise). Also quiets
 * grpc-js: failures reach the user as `error: …` lines, which its own log would repeat.
 */
export function checkListenAddress(listen: string): string {
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  try {
    parseListenAddress(listen);
  } catch (err) {
    if (err instanceof CastoreError) throw new UsageError(err.message);
    throw err;
  }
  return listen;
}

/** Says where `daemon` listens (and the option clients use to reach it), serves until SIGINT or SIGTERM, then closes it. */
export async function serveUntilSignal(daemon: Daemon, clientOption: string): Promise<void> {
  process.stdout.write(`listening on ${daemon.address} (clients: ${clientOption} ${daemon.url})\n`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  process.stderr.write(`${signal}: shutting down\n`);
  await daemon.close();
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { listen: { type: "string", default: DEFAULT_LISTEN }, ...STORE_OPTION }, DAEMON_HELP);
  if (!args) return 0;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'\n${DAEMON_HELP.split("\n")[0]}`);
  const listen = checkListenAddress(args.values.listen ?? DEFAULT_LISTEN);
  const store = await openStoreFromArgs(args.values);
  try {
    await serveUntilSignal(await serveStore(store, listen), "--store");
  } finally {
    await store.close();
  }
  return 0;
}
