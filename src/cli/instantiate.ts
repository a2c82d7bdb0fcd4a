// `tvix instantiate`: nix-instantiate. Evaluates, writes the .drv files (and the sources and
// toFile texts they use) into the store as the evaluation adds them, and prints the .drv paths
// of the derivations found, as nix-instantiate does. Evaluation options are `tvix eval`'s.
import type { EvalRequest } from "../eval/instantiate.ts";
import { evaluateInWorker } from "../eval/run-in-worker.ts";
import { isPendingMessage, pendingFromMessage } from "../glue/pending-stream.ts";
import { WritePendingError, writePendingPath } from "../glue/write-pending.ts";
import { defaultEvalRequest, parseEvalCommandLine } from "./eval-args.ts";
import { openStoreFromArgs, STORE_OPTION_HELP, storeDir } from "./store-options.ts";

const HELP = `Usage: tvix instantiate [FILE… | -E EXPR…] [-A ATTRPATH]… [--arg NAME EXPR] [--argstr NAME STRING]
                        [-I PATH | -I NAME=PATH] [--show-trace] [--store URL]

Evaluates Nix files (default ./default.nix) or expressions, writes the store derivations of
the derivations found into the store, and prints their paths, as 'nix-instantiate' does
(PATH.drv!OUTPUT for an output other than out).

  -E, --expr            the arguments are Nix expressions, not files
  -A, --attr PATH       instantiate this attribute (a.b.0.c) of the result; may be repeated
  --arg NAME EXPR       argument for a top-level function (a Nix expression)
  --argstr NAME STRING  argument for a top-level function (a string)
  -I, --include PATH    add to the search path for <…> (NAME=PATH for <NAME/…>)
  --show-trace          show the evaluation trace of errors
${STORE_OPTION_HELP}`;

interface InstantiateArgs {
  request: EvalRequest;
  store: { store?: string; "store-composition"?: string };
}

export function parseInstantiateArgs(argv: string[]): InstantiateArgs | undefined {
  const request: EvalRequest = { ...defaultEvalRequest("derivations"), streamStorePaths: true };
  const store: InstantiateArgs["store"] = {};
  const inputs = parseEvalCommandLine(argv, {
    command: "instantiate",
    help: HELP,
    setup: request,
    selection: request,
    flag(flag, take) {
      switch (flag) {
        case "--store":
          store.store = take()[0];
          return true;
        case "--store-composition":
          store["store-composition"] = take()[0];
          return true;
        default:
          return false;
      }
    },
  });
  if (!inputs) return undefined;
  request.inputs = inputs;
  return { request, store };
}

export async function run(argv: string[]): Promise<number> {
  const args = parseInstantiateArgs(argv);
  if (!args) return 0;
  const store = await openStoreFromArgs(args.store);
  try {
    // Paths are written one after another as they arrive (inputs first); after a failed write
    // the rest are left out and the failure is reported.
    let writing = Promise.resolve();
    const result = await evaluateInWorker(args.request, (message) => {
      if (!isPendingMessage(message)) return;
      const [storePath, entry] = pendingFromMessage(message);
      writing = writing.then(async () => void (await writePendingPath(store, storePath, entry, storeDir())));
    });
    try {
      await writing;
    } catch (err) {
      if (!(err instanceof WritePendingError)) throw err;
      process.stderr.write(Buffer.from(`error: ${err.message}\n`, "latin1"));
      return 1;
    }
    process.stdout.write(Buffer.from(result.stdout, "latin1"));
    process.stderr.write(Buffer.from(result.stderr, "latin1"));
    return result.exitCode;
  } finally {
    await store.close();
  }
}
