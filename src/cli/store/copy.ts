// `tvix store copy`: store paths with their closures from one store to another (`nix copy`).
import { readFileSync } from "node:fs";
import { parseStorePath } from "../../nix-compat/store-path.ts";
import { SecretKey } from "../../nix-compat/signing.ts";
import { copyClosure } from "../../store/closure.ts";
import type { Store } from "../../store/composition.ts";
import { SigningPathInfoService } from "../../store/signing-path-info-service.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { createProgress } from "../progress.ts";
import { STORE_OPTION, STORE_OPTION_HELP, openStoreFromArgs, storeDir } from "../store-options.ts";

const COPY_HELP = `Usage: tvix store copy [--from URL] [--to URL] [--sign-key FILE] STOREPATH…

Copies each STOREPATH and everything it refers to, directly or not, from one store to another,
skipping paths the destination has; prints each path it copied. Either side defaults to the
configured store (--store, $TVIX_STORE, else the local store). A Nix binary cache is a source:
--from file:///DIR or nix+https://cache.nixos.org?trusted-public-keys=… (paths without a valid
signature by one of the keys are refused).

Options:
  --from URL       the store to copy from
  --to URL         the store to copy to
  --sign-key FILE  sign the copied paths with this Nix secret key in the destination
${STORE_OPTION_HELP}`;

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(argv, { ...STORE_OPTION, from: { type: "string" }, to: { type: "string" }, "sign-key": { type: "string" } }, COPY_HELP);
  if (!args) return 0;
  if (args.positionals.length === 0) throw new UsageError(`'tvix store copy' needs at least one STOREPATH\n${COPY_HELP.split("\n")[0]}`);
  if (args.values.from === undefined && args.values.to === undefined) throw new UsageError("give --from, --to or both");
  const roots = args.positionals.map((path) => parseStorePath(path, storeDir()));
  const keyFile = args.values["sign-key"];
  const signingKey = keyFile === undefined ? undefined : SecretKey.parse(readFileSync(keyFile, "utf8"));

  const stores: Store[] = [];
  try {
    const from = await openStoreFromArgs(args.values.from === undefined ? args.values : { store: args.values.from });
    stores.push(from);
    const to = await openStoreFromArgs(args.values.to === undefined ? args.values : { store: args.values.to });
    stores.push(to);
    const destination = signingKey ? { ...to, pathInfos: new SigningPathInfoService(to.pathInfos, signingKey, storeDir()) } : to;
    const progress = createProgress("copying", { unit: "bytes" });
    let copied;
    try {
      copied = await copyClosure(from, destination, roots, {
        onProgress: (p) => progress.update(p.bytes, undefined, `(${p.paths}/${p.totalPaths} paths)`),
      });
    } finally {
      progress.done();
    }
    for (const info of copied) process.stdout.write(`${info.storePath.toAbsolute(storeDir())}\n`);
    return 0;
  } finally {
    await Promise.all(stores.map((store) => store.close()));
  }
}
