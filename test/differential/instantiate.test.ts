// `tvix instantiate` against real `nix-instantiate` (Nix 2.8, into a chroot store in a
// temporary directory): the same .drv paths printed, in the same order and form (`!output`),
// the same warnings and errors; and everything the instantiation wrote (the .drv files, the
// sources, filtered sources and toFile texts they use) is in our store with the same bytes
// (`tvix store dump` = `nix-store --dump` of what Nix wrote) and the same path info (NAR hash and size,
// references, content address).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { nix, nixClassic } from "../support/nix.ts";

const TVIX = fileURLToPath(new URL("../../bin/tvix.js", import.meta.url));

// `@{` stands for Nix's `${` (which would be a template expression here).
const WORLD = String.raw`
{ greeting ? "hello" }:
let
  sh = "/bin/sh";
  src = ./src.txt;
  tree = ./tree;
  filtered = builtins.filterSource (path: type: baseNameOf path != "skip") ./tree;
  named = builtins.path { path = ./tree; name = "named-tree"; };
  script = builtins.toFile "build.sh" "echo @{src} > $out";
  mk = attrs: derivation ({ system = "x86_64-linux"; builder = sh; } // attrs);
  simple = mk { name = "simple"; args = [ "-c" "echo @{greeting} > $out" ]; };
  multi = mk { name = "multi"; outputs = [ "out" "dev" "lib" ]; args = [ "-c" "true" ]; };
  chain = mk { name = "chain"; args = [ script ]; deps = [ simple multi.dev filtered named tree ]; };
  chain2 = mk { name = "chain2"; dep = chain; lib = multi.lib; };
in {
  inherit simple multi chain chain2;
  passAsFile = mk { name = "paf"; passAsFile = [ "big" ]; big = "x@{simple}"; };
  structured = mk { name = "structured"; __structuredAttrs = true; list = [ 1 2.5 "s" simple ]; outputs = [ "out" "doc" ]; };
  fod = mk { name = "fod"; outputHash = "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="; outputHashMode = "flat"; };
  fodRec = mk { name = "fod-rec"; outputHashAlgo = "sha1"; outputHashMode = "recursive"; outputHash = "0000000000000000000000000000000000000000"; };
  dev = multi.dev;
  text = builtins.toFile "text" "refers to @{src} and @{filtered}";
  nested = { recurseForDerivations = true; inner = simple; deeper = { recurseForDerivations = true; d = chain2; }; notThis = { x = simple; }; };
  list = [ simple multi.lib ];
  fn = { x ? 1 }: mk { name = "fn-@{toString x}"; };
}
`.replaceAll("@{", "${");

/** Each: the arguments after the file, for both commands. */
const CASES: string[][] = [
  [],
  ["-A", "simple"],
  ["-A", "chain2", "-A", "dev", "-A", "multi"],
  ["-A", "passAsFile"],
  ["-A", "structured"],
  ["-A", "fod", "-A", "fodRec"],
  ["-A", "nested"],
  ["-A", "list"],
  ["-A", "fn", "--arg", "x", "2"],
  ["--argstr", "greeting", "bonjour", "-A", "chain2"],
  ["-A", "nested.deeper"],
];

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 26 });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

describe("tvix instantiate against nix-instantiate", () => {
  let work: string;
  let nixStore: string;
  let tvixStore: string;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "tvix-instantiate-diff-"));
    nixStore = join(work, "nix-chroot");
    tvixStore = `local://${join(work, "tvix-store")}`;
    writeFileSync(join(work, "default.nix"), WORLD);
    writeFileSync(join(work, "src.txt"), "source\n");
    mkdirSync(join(work, "tree/sub"), { recursive: true });
    writeFileSync(join(work, "tree/a"), "a");
    writeFileSync(join(work, "tree/skip"), "left out by the filter");
    writeFileSync(join(work, "tree/sub/run"), "#!/bin/sh\n");
    chmodSync(join(work, "tree/sub/run"), 0o755);
    symlinkSync("../a", join(work, "tree/sub/link"));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const nixPaths = new Set<string>();

  for (const args of CASES) {
    it(`prints what nix-instantiate prints: ${args.join(" ") || "(everything)"}`, () => {
      const file = join(work, "default.nix");
      const ours = run(process.execPath, [TVIX, "instantiate", "--store", tvixStore, file, ...args]);
      const theirs = run("nix-instantiate", ["--store", nixStore, file, ...args]);
      assert.equal(ours.stdout, theirs.stdout);
      assert.equal(ours.stderr, theirs.stderr);
      assert.equal(ours.status, theirs.status);
      assert.ok(theirs.stdout.length > 0);
      for (const line of theirs.stdout.trim().split("\n")) nixPaths.add(line.replace(/!.*/, ""));
    });
  }

  it("errors as nix-instantiate's: a missing attribute, a value that is not a derivation", () => {
    const file = join(work, "default.nix");
    for (const args of [["-A", "missing"], ["-E", "42"], ["-E", "{ a = 1; }"]]) {
      const input = args[0] === "-E" ? [] : [file];
      const ours = run(process.execPath, [TVIX, "instantiate", "--store", tvixStore, ...input, ...args]);
      const theirs = run("nix-instantiate", ["--store", nixStore, ...input, ...args]);
      assert.equal(ours.stdout, theirs.stdout, args.join(" "));
      assert.equal(ours.stderr, theirs.stderr, args.join(" "));
      assert.equal(ours.status, theirs.status, args.join(" "));
    }
  });

  it("wrote every path of the closures with Nix's bytes and path info", () => {
    const closure = nixClassic("nix-store", ["--store", nixStore, "-qR", ...nixPaths]);
    assert.ok(closure.length >= 15, `closure of ${closure.length} paths`);
    const fields = (info: Record<string, unknown>) => ({ path: info.path, narHash: info.narHash, narSize: info.narSize, references: info.references, ca: info.ca });
    const byPath = (a: { path: unknown }, b: { path: unknown }) => String(a.path).localeCompare(String(b.path));
    // `nix path-info` takes a .drv for its outputs unless told --derivation, which it refuses for sources.
    const drvs = closure.filter((p) => p.endsWith(".drv"));
    const others = closure.filter((p) => !p.endsWith(".drv"));
    const nixInfo = (args: string[]) => JSON.parse(nix(["path-info", "--store", nixStore, "--json", ...args]).join("\n")) as Record<string, unknown>[];
    const theirs = [...nixInfo(["--derivation", ...drvs]), ...nixInfo(others)].map(fields).sort(byPath);
    const ours = (JSON.parse(execFileSync(process.execPath, [TVIX, "store", "path-info", "--store", tvixStore, "--json", ...closure], { encoding: "utf8" })) as Record<string, unknown>[]).map(fields).sort(byPath);
    assert.equal(ours.length, closure.length);
    assert.deepEqual(ours, theirs);
    for (const path of closure) {
      const nar = execFileSync(process.execPath, [TVIX, "store", "dump", "--store", tvixStore, path], { maxBuffer: 1 << 26 });
      // `nix-store --dump` reads the file system: Nix's NAR of the file it wrote in its chroot store.
      const nixNar = execFileSync("nix-store", ["--dump", join(nixStore, path)], { maxBuffer: 1 << 26 });
      assert.ok(nar.equals(nixNar), `NAR of ${path}`);
    }
    const kinds = closure.map((p) => (p.endsWith(".drv") ? "drv" : "other"));
    assert.ok(kinds.includes("drv") && kinds.includes("other"));
  });
});
