// The `tvix` command: finds the subcommand and loads only its module, so start-up stays fast.
import { UsageError, reportError } from "./errors.ts";

interface CommandEntry {
  summary: string;
  load: () => Promise<{ run: (argv: string[]) => Promise<number> }>;
}

const commands: Record<string, CommandEntry> = {
  eval: { summary: "evaluate Nix expressions (nix-instantiate --eval)", load: () => import("./eval.ts") },
  instantiate: { summary: "write store derivations and print their paths (nix-instantiate)", load: () => import("./instantiate.ts") },
  build: { summary: "build derivations and link their outputs (nix-build)", load: () => import("./build.ts") },
  repl: { summary: "evaluate Nix expressions interactively (nix repl)", load: () => import("./repl.ts") },
  parse: { summary: "parse Nix code (nix-instantiate --parse)", load: () => import("./parse.ts") },
  nar: { summary: "write, restore and list Nix archives (NAR)", load: () => import("./nar.ts") },
  hash: { summary: "hash files and paths, convert hashes between encodings", load: () => import("./hash.ts") },
  builder: { summary: "serve builds to other machines (gRPC builder daemon)", load: () => import("./builder.ts") },
  store: { summary: "the store: add, dump, copy, serve (gRPC daemon, binary cache)", load: () => import("./store.ts") },
  derivation: { summary: "show derivations (.drv) as JSON", load: () => import("./derivation.ts") },
  key: { summary: "generate binary-cache signing keys", load: () => import("./key.ts") },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    "Usage: tvix COMMAND [ARGS…]",
    "",
    "tvix-ts: Nix as separate components (evaluator, store, builder, coordinator).",
    "",
    "Commands:",
    ...lines,
    "",
    "Run 'tvix COMMAND --help' for the options of a command.",
    "",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(mainHelp());
    return name === undefined ? 1 : 0;
  }
  if (name === "--version") {
    process.stdout.write("tvix-ts 0.1.0\n");
    return 0;
  }
  try {
    const entry = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!entry) throw new UsageError(`unknown command '${name}'; run 'tvix --help' for the list`);
    const command = await entry.load();
    return await command.run(rest);
  } catch (err) {
    return reportError(err);
  }
}
