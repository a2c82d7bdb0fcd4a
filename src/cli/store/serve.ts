// `tvix store serve`: the store as a Nix HTTP binary cache, for `nix copy --from/--to http://…`
// and as a substituter. Runs until interrupted (SIGINT, SIGTERM).
import { readFileSync } from "node:fs";
import { SecretKey } from "../../nix-compat/signing.ts";
import { SERVE_COMPRESSIONS, type Compression } from "../../store/binary-cache/compression.ts";
import { BinaryCacheServer } from "../../store/binary-cache/server.ts";
import { SigningPathInfoService } from "../../store/signing-path-info-service.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { createProgress } from "../progress.ts";
import { STORE_OPTION, STORE_OPTION_HELP, openStoreFromArgs, storeDir } from "../store-options.ts";

const SERVE_HELP = `Usage: tvix store serve [--listen HOST:PORT] [--store URL] [--sign-key FILE]
                        [--compression none|xz|zstd|br] [--priority N] [--quiet]

Serves the store as a Nix HTTP binary cache: 'nix copy --from http://HOST:PORT' and
substituters read from it, 'nix copy --to http://HOST:PORT' uploads into it. Prints
'listening on http://HOST:PORT' once it accepts connections; one line per request on stderr.

Options:
  --listen HOST:PORT  where to listen (default 127.0.0.1:9000; port 0 picks a free one;
                      IPv6 as [::1]:9000)
  --sign-key FILE     a Nix secret key ('tvix key generate'): every narinfo served carries its
                      signature, and uploaded paths are stored signed
  --compression C     how the NARs are served (none, the default, xz, zstd or br), compressed
                      on the fly
  --priority N        the priority announced in nix-cache-info (default 50; lower wins)
  --upload-dir DIR    where uploaded NAR files wait for their narinfo (default: a temporary
                      directory)
  --quiet             no request log
${STORE_OPTION_HELP}`;

/** `HOST:PORT` or `[IPV6]:PORT`. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new UsageError(`--listen '${listen}' is not HOST:PORT`);
  return { host: match[1] ?? match[2], port };
}

export async function run(argv: string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      ...STORE_OPTION,
      listen: { type: "string", default: "127.0.0.1:9000" },
      "sign-key": { type: "string" },
      compression: { type: "string", default: "none" },
      priority: { type: "string", default: "50" },
      "upload-dir": { type: "string" },
      quiet: { type: "boolean" },
    },
    SERVE_HELP,
  );
  if (!args) return 0;
  if (args.positionals.length > 0) throw new UsageError(`'tvix store serve' takes no arguments\n${SERVE_HELP.split("\n")[0]}`);
  const { host, port } = parseListen(args.values.listen!);
  const compression = args.values.compression!;
  if (!(SERVE_COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new UsageError(`--compression must be one of ${SERVE_COMPRESSIONS.join(", ")}, not '${compression}'`);
  }
  const priority = Number(args.values.priority);
  if (!/^\d+$/.test(args.values.priority!) || !Number.isSafeInteger(priority)) throw new UsageError(`--priority '${args.values.priority}' is not a number`);
  const keyFile = args.values["sign-key"];
  const signingKey = keyFile === undefined ? undefined : SecretKey.parse(readFileSync(keyFile, "utf8"));

  const store = await openStoreFromArgs(args.values);
  const progress = createProgress("served", { unit: "bytes" });
  let sent = 0;
  // A log line first erases the progress line (which the next update redraws).
  const clearLine = process.stderr.isTTY ? "\r\x1b[K" : "";
  const log = args.values.quiet ? undefined : (line: string) => process.stderr.write(`${clearLine}${line}\n`);
  let server: BinaryCacheServer;
  try {
    const pathInfos = signingKey ? new SigningPathInfoService(store.pathInfos, signingKey, storeDir()) : store.pathInfos;
    server = await BinaryCacheServer.listen({ ...store, pathInfos }, host, port, {
      storeDir: storeDir(),
      signingKey,
      compression: compression as Compression,
      priority,
      uploadDirectory: args.values["upload-dir"],
      log,
      onSent: (bytes) => progress.update((sent += bytes)),
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const { host: boundHost, port: boundPort } = server.address;
  process.stdout.write(`listening on http://${boundHost.includes(":") ? `[${boundHost}]` : boundHost}:${boundPort}\n`);

  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  progress.done();
  await server.close();
  await store.close();
  return 0;
}
