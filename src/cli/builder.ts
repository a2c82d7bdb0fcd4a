// `tvix builder daemon`: serves a BuildService over gRPC (Tvix's tvix.build.v1.BuildService and
// our tvixts.build.v1.RemoteBuildService, see src/build/grpc/server.ts) with its own store's
// services beside it, until SIGINT or SIGTERM.
import { availableParallelism } from "node:os";
import { openBuildService } from "../build/composition.ts";
import { serveBuilder } from "../build/grpc/server.ts";
import { type Subcommand, parseCommandArgs, runSubcommand } from "./args.ts";
import { UsageError } from "./errors.ts";
import { STORE_OPTION, STORE_OPTION_HELP, openStoreFromArgs } from "./store-options.ts";
import { checkListenAddress, serveUntilSignal } from "./store/daemon.ts";

// Port 8000 is the store daemon's, which often runs on the same host.
const DEFAULT_LISTEN = "[::1]:8001";
const DEFAULT_BUILDER = "oci://";

const DAEMON_HELP = `Usage: tvix builder daemon [--listen unix:///PATH | HOST:PORT] [--store URL] [--builder URL] [-j N]

Runs builds for other machines over gRPC: Tvix's BuildService.DoBuild (on this daemon's
store) and RemoteBuildService, which streams the build log and pushes the outputs to the
caller's store when it can reach it (else the caller fetches them from this daemon's store,
which is served on the same address). Clients use --builder grpc+unix:///PATH or
--builder grpc+http://HOST:PORT. Runs until SIGINT or SIGTERM.

  --listen ADDR  unix:///PATH (a Unix socket) or HOST:PORT (plaintext HTTP/2; port 0
                 picks a free one); default ${DEFAULT_LISTEN}
  --builder URL  the builder that runs the builds (default ${DEFAULT_BUILDER}: runc)
  -j, --max-jobs N
                 builds run at once at most (default: the number of CPUs, here ${availableParallelism()})
${STORE_OPTION_HELP}`;

function parseMaxJobs(text: string): number {
  const jobs = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(jobs) || jobs < 1) throw new UsageError(`-j/--max-jobs must be a positive integer, not '${text}'`);
  return jobs;
}

async function daemon(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      listen: { type: "string", default: DEFAULT_LISTEN },
      builder: { type: "string", default: DEFAULT_BUILDER },
      "max-jobs": { type: "string", short: "j" },
      ...STORE_OPTION,
    },
    DAEMON_HELP,
  );
  if (!args) return 0;
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'\n${DAEMON_HELP.split("\n")[0]}`);
  const listen = checkListenAddress(args.values.listen ?? DEFAULT_LISTEN);
  const builderUrl = args.values.builder ?? DEFAULT_BUILDER;
  const maxBuilds = args.values["max-jobs"] === undefined ? availableParallelism() : parseMaxJobs(args.values["max-jobs"]);
  const store = await openStoreFromArgs(args.values);
  try {
    // Opened once here so that a bad --builder is reported at start, not at the first build.
    await (await openBuildService(builderUrl, store)).close();
    await serveUntilSignal(await serveBuilder({ store, builderFor: (buildStore) => openBuildService(builderUrl, buildStore), maxBuilds }, listen), "--builder");
  } finally {
    await store.close();
  }
  return 0;
}

const subcommands: Record<string, Subcommand> = {
  daemon: { summary: "run builds for others over gRPC (tvix.build.v1)", run: daemon },
};

export function run(argv: string[]): Promise<number> {
  return runSubcommand("builder", argv, subcommands);
}
