// `tvix store verify`: re-hashes everything the store's paths hold and reports corruption.
import { verifyStore } from "../../store/verify.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { createProgress } from "../progress.ts";
import { STORE_OPTION, STORE_OPTION_HELP, storeDir } from "../store-options.ts";
import { withStore } from "./store-command.ts";

const VERIFY_HELP = `Usage: tvix store verify

Reads back everything the store's paths hold and checks it: every directory hashes to its
digest, is complete and gives its children's true sizes; every blob hashes to its digest; each
path's NAR has the recorded size and sha256; content-addressed paths match their address;
references are in the store. Prints each problem on standard error, then a summary, and exits
with 1 if there was any problem.
${STORE_OPTION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { ...STORE_OPTION }, VERIFY_HELP);
  if (!args) return 0;
  if (args.positionals.length > 0) throw new UsageError(`'tvix store verify' takes no arguments\n${VERIFY_HELP.split("\n")[0]}`);
  const dir = storeDir();
  const report = await withStore(args.values, async (store) => {
    const progress = createProgress("verifying");
    try {
      return await verifyStore(store, { storeDir: dir, onProgress: (done, total, path) => progress.update(done, total, path) });
    } finally {
      progress.done();
    }
  });
  // Messages carry names as byte strings.
  for (const problem of report.problems) process.stderr.write(Buffer.from(`path '${problem.storePath.toAbsolute(dir)}': ${problem.message}\n`, "latin1"));
  const count = report.problems.length;
  const outcome = count === 0 ? "no problems" : `${count} problem${count === 1 ? "" : "s"}`;
  process.stdout.write(`checked ${report.paths} paths, ${report.blobs} blobs, ${report.directories} directories: ${outcome}\n`);
  return count === 0 ? 0 : 1;
}
