// `tvix store daemon`: serves a store over gRPC (tvix.castore.v1, tvix.store.v1 and
// grpc.health.v1) until SIGINT or SIGTERM, then finishes running calls and closes the store.
import * as grpc from "@grpc/grpc-js";
import { CastoreError } from "../../castore/errors.ts";
import { parseListenAddress, serveStore } from "../../store/daemon.ts";
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

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { listen: { type: "string", default: DEFAULT_LISTEN }, ...STORE_OPTION }, DAEMON_HELP);
  if (!args) return 0;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'\n${DAEMON_HELP.split("\n")[0]}`);
  const listen = args.values.listen ?? DEFAULT_LISTEN;
  try {
    parseListenAddress(listen);
  } catch (err) {
    if (err instanceof CastoreError) throw new UsageError(err.message);
    throw err;
  }
  // Failures reach the user as `error: …` lines; grpc-js's own log would repeat them.
  grpc.setLogVerbosity(grpc.logVerbosity.NONE);
  const store = await openStoreFromArgs(args.values);
  try {
    const daemon = await serveStore(store, listen);
    process.stdout.write(`listening on ${daemon.address} (clients: --store ${daemon.url})\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    process.stderr.write(`${signal}: shutting down\n`);
    await daemon.close();
  } finally {
    await store.close();
  }
  return 0;
}
