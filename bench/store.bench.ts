// The store against Nix's, as whole processes in the same run: adding the ~1 GiB benchmark tree
// to a fresh store (`tvix store add` into local:// vs `nix-store --add` into a fresh chroot
// store), dumping it back as a NAR (`tvix store dump` vs `nix-store --dump`), and downloading
// its NAR through `tvix store serve` vs a static file server holding the same NAR bytes. Also
// how much the castore deduplicates when both nixpkgs trees go into one store.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:http";
import { createReadStream, mkdirSync, rmSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { once } from "node:events";
import { ingestPath } from "../src/castore/fs/ingest.ts";
import { openStore } from "../src/store/composition.ts";
import { unpackedNixpkgs } from "../test/support/nixpkgs.ts";
import { benchTree } from "./nar.bench.ts";
import { type Command, type Comparison, compareCommands } from "./lib/measure.ts";

/** A command that runs in a fresh empty directory below `runs` (`$d` in the script). */
export function inFreshDir(runs: string, script: string, ...args: string[]): Command {
  return ["sh", ["-c", `d=$(mktemp -d -p "$0") && ${script}`, runs, ...args]];
}

/** Starts `tvix store serve` and resolves once it listens, with its base URL. */
async function startServe(tvix: string[], storeUrl: string): Promise<{ url: string; process: ChildProcess }> {
  const [node, ...args] = tvix;
  const child = spawn(node, [...args, "store", "serve", "--quiet", "--listen", "127.0.0.1:0", "--store", storeUrl], { stdio: ["ignore", "pipe", "inherit"] });
  let output = "";
  for await (const chunk of child.stdout!) {
    output += chunk;
    const match = /listening on (http:\/\/\S+)/.exec(output);
    if (match) return { url: match[1], process: child };
  }
  throw new Error(`tvix store serve exited before listening: ${output}`);
}

/** A plain static file server: the baseline for serving a NAR. */
async function startStaticServer(file: string): Promise<{ url: string; close: () => void }> {
  const size = statSync(file).size;
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "application/x-nix-nar", "content-length": size });
    createReadStream(file, { highWaterMark: 1 << 20 }).pipe(response);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/nar`, close: () => server.close() };
}

/** Bytes of file contents in both nixpkgs trees, and what one castore keeps of them. */
async function dedupNote(): Promise<Comparison> {
  const store = await openStore("memory://");
  let fileBytes = 0;
  let files = 0;
  const counted = new Set<string>();
  try {
    for (const name of ["nixpkgs-0aeba64f", "nixpkgs-2411pre-203b6a7c"]) {
      const root = await ingestPath(unpackedNixpkgs(name), store.blobs, store.directories);
      if (root.kind !== "directory") throw new Error(`${name} is not a directory`);
      // Every occurrence of a file counts towards the bytes on disk: walk the tree, not the set.
      const walk = async (digest: Uint8Array): Promise<void> => {
        const directory = (await store.directories.get(digest))!;
        for (const file of directory.files) {
          fileBytes += file.size;
          files++;
          counted.add(Buffer.from(file.digest).toString("hex") + ":" + file.size);
        }
        for (const child of directory.directories) await walk(child.digest);
      };
      await walk(root.digest);
    }
  } finally {
    await store.close();
  }
  const uniqueBytes = [...counted].reduce((sum, key) => sum + Number(key.split(":")[1]), 0);
  return {
    name: "dedup, both nixpkgs",
    note: `${files} files, ${(fileBytes / 2 ** 20).toFixed(1)} MiB → ${counted.size} blobs, ${(uniqueBytes / 2 ** 20).toFixed(1)} MiB (ratio ${(fileBytes / uniqueBytes).toFixed(2)})`,
  };
}

export async function run(workDir: string, tvix: string[], runs: number): Promise<Comparison[]> {
  const tree = benchTree(workDir);
  const [node, ...tvixArgs] = tvix;
  const scratch = join(workDir, "store-runs");
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const results: Comparison[] = [];
  try {
    results.push(
      await compareCommands(
        "store add (fresh store)",
        inFreshDir(scratch, 'exec "$1" "$2" store add --store "local://$d" "$3"', node, tvixArgs[0], tree),
        inFreshDir(scratch, 'exec nix-store --store "$d" --add "$1"', tree),
        { runs, stdout: "null" },
      ),
    );
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });

    // One store of each holding the tree, for dump and serve.
    const tvixStore = `local://${join(scratch, "tvix")}`;
    const nixRoot = join(scratch, "nix");
    const storePath = execFileSync(node, [...tvixArgs, "store", "add", "--store", tvixStore, tree], { encoding: "utf8" }).trim();
    const nixPath = execFileSync("nix-store", ["--store", nixRoot, "--add", tree], { encoding: "utf8" }).trim();
    if (storePath !== nixPath) throw new Error(`tvix added ${storePath}, Nix ${nixPath}`);
    results.push(
      // nix-store --dump reads a filesystem path; in a chroot store that is ROOT/nix/store/….
      await compareCommands("store dump", [node, [...tvixArgs, "store", "dump", "--store", tvixStore, storePath]], ["nix-store", ["--dump", nixRoot + storePath]], {
        runs,
        stdout: "pipe",
      }),
    );

    const narFile = join(scratch, "tree.nar");
    execFileSync("sh", ["-c", 'nix-store --dump "$1" > "$2"', "dump", nixRoot + storePath, narFile]);
    const serve = await startServe(tvix, tvixStore);
    const staticServer = await startStaticServer(narFile);
    try {
      const hashPart = storePath.split("/").at(-1)!.slice(0, 32);
      const narinfo = await (await fetch(`${serve.url}/${hashPart}.narinfo`)).text();
      const narUrl = `${serve.url}/${/^URL: (.*)$/m.exec(narinfo)![1]}`;
      const curl = (url: string): Command => ["curl", ["--fail", "--silent", "--output", "/dev/null", url]];
      results.push(await compareCommands("NAR GET serve ÷ static", curl(narUrl), curl(staticServer.url), { runs, stdout: "null" }));
    } finally {
      serve.process.kill();
      staticServer.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  results.push(await dedupNote());
  return results;
}
