// `tvix store …`: one file per subcommand under store/, loaded only when it runs.
import { type Subcommand, runSubcommand } from "./args.ts";

type CommandModule = { run: (argv: string[]) => Promise<number> };

function lazy(summary: string, load: () => Promise<CommandModule>): Subcommand {
  return { summary, run: async (argv) => (await load()).run(argv) };
}

const subcommands: Record<string, Subcommand> = {
  add: lazy("add files and trees to the store (nix-store --add)", () => import("./store/add.ts")),
  "import-nar": lazy("add a store path from a NAR", () => import("./store/import-nar.ts")),
  dump: lazy("write a store path as a NAR (nix-store --dump)", () => import("./store/dump.ts")),
  "path-info": lazy("show what the store knows of store paths (nix path-info)", () => import("./store/path-info.ts")),
  ls: lazy("list a directory inside a store path", () => import("./store/ls.ts")),
  cat: lazy("print a file inside a store path", () => import("./store/cat.ts")),
  copy: lazy("copy store paths with their closures between stores", () => import("./store/copy.ts")),
  verify: lazy("re-hash the store and report corruption", () => import("./store/verify.ts")),
  daemon: lazy("serve the store over gRPC (tvix.castore.v1, tvix.store.v1)", () => import("./store/daemon.ts")),
  serve: lazy("serve the store as a Nix HTTP binary cache", () => import("./store/serve.ts")),
};

export function run(argv: string[]): Promise<number> {
  return runSubcommand("store", argv, subcommands);
}
