// `tvix store add|import-nar|dump|path-info|ls|cat|verify` as a user runs them: separate
// processes on a local:// store, judged against real Nix 2.8 on the same inputs.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { blake3, digestHex } from "../src/castore/digest.ts";
import { nix } from "./support/nix.ts";
import { nixDump, runProcess } from "./support/nar.ts";
import { createRandomTree } from "./support/random-tree.ts";

const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));
const NODE = fileURLToPath(new URL("../node_modules/.bin/node", import.meta.url));

let work: string;
let storeUrl: string;

/** Runs `tvix store SUBCOMMAND ARGS… --store URL`, with `input` on stdin. */
function tvixStore(subcommand: string, args: string[], input?: Uint8Array, url = storeUrl) {
  return runProcess(NODE, [TVIX, "store", subcommand, "--store", url, ...args], input);
}

async function ok(subcommand: string, args: string[], input?: Uint8Array): Promise<Buffer> {
  const result = await tvixStore(subcommand, args, input);
  assert.equal(result.status, 0, `tvix store ${subcommand} ${args.join(" ")} failed: ${result.stderr}`);
  return result.stdout;
}

function nixStore(args: string[]): string[] {
  return execFileSync("nix-store", args, { encoding: "utf8" }).split("\n").filter((l) => l !== "");
}

/** Nix's output without what only its own local store records. */
function withoutLocalFields(json: string): unknown {
  return (JSON.parse(json) as Record<string, unknown>[]).map(({ registrationTime: _r, ultimate: _u, ...rest }) => rest);
}

let sources: string[];
let nixPaths: string[];

before(async () => {
  work = mkdtempSync(join(tmpdir(), "tvix-store-cli-"));
  storeUrl = `local://${join(work, "store")}`;
  // A small tree whose sub-paths the ls/cat tests name, random trees with awkward names, a
  // file root, a symlink root, and an empty directory.
  const sample = join(work, "sample");
  mkdirSync(join(sample, "sub", "deeper"), { recursive: true });
  writeFileSync(join(sample, "a"), "hello\n");
  writeFileSync(join(sample, "sub", "b"), "x\n");
  chmodSync(join(sample, "sub", "b"), 0o755);
  writeFileSync(join(sample, "sub", "deeper", "c"), Buffer.alloc(70_000, 7));
  symlinkSync("a", join(sample, "link"));
  const empty = join(work, "empty");
  mkdirSync(empty);
  const file = join(work, "file.txt");
  writeFileSync(file, "just a file\n");
  const link = join(work, "dangling");
  symlinkSync("/nowhere/at/all", link);
  sources = [sample, empty, file, link];
  for (const seed of [1, 2]) {
    const tree = join(work, `tree${seed}`);
    createRandomTree(tree, { seed, entries: 40 });
    sources.push(tree);
  }
  nixPaths = nixStore(["--add", ...sources]);
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

test("add gives Nix's paths, and dump gives back the bytes of nix-store --dump", async () => {
  const added = (await ok("add", sources)).toString().split("\n").filter((l) => l !== "");
  assert.deepEqual(added, nixPaths);
  for (const [i, path] of added.entries()) {
    assert.ok((await ok("dump", [path])).equals(await nixDump(sources[i])), `dump of ${sources[i]}`);
  }
  // Flat and other hash algorithms: nix-store --add-fixed [--recursive] ALGO.
  const file = sources[2];
  assert.deepEqual((await ok("add", ["--flat", "--hash-algo", "sha1", file])).toString().trim(), nixStore(["--add-fixed", "sha1", file])[0]);
  assert.deepEqual((await ok("add", ["--hash-algo", "sha512", sources[0]])).toString().trim(), nixStore(["--add-fixed", "--recursive", "sha512", sources[0]])[0]);
  assert.equal((await ok("add", ["--dry-run", "--flat", file])).toString().trim(), nixStore(["--add-fixed", "sha256", file])[0]);
});

test("path-info: plain, --json and --recursive as nix path-info prints them", async () => {
  await ok("add", sources);
  const paths = [...nixPaths].reverse();
  assert.deepEqual((await ok("path-info", paths)).toString(), nix(["path-info", ...paths]).map((l) => `${l}\n`).join(""));
  const json = (await ok("path-info", ["--json", ...paths])).toString();
  assert.deepEqual(JSON.parse(json), withoutLocalFields(nix(["path-info", "--json", ...paths]).join("")));
  assert.doesNotMatch(json, /\n/);
  // A flat sha1 path carries its content address.
  const flat = (await ok("add", ["--flat", "--hash-algo", "sha1", sources[2]])).toString().trim();
  assert.deepEqual(JSON.parse((await ok("path-info", ["--json", flat])).toString()), withoutLocalFields(nix(["path-info", "--json", flat]).join("")));
});

test("a closure with references: import-nar --store-path, path-info -r/--json/-s/-S against Nix", async () => {
  // Two text paths, one referring to the other (builtins.toFile), made by Nix in its store.
  const top = JSON.parse(
    execFileSync("nix-instantiate", ["--eval", "--read-write-mode", "-E", 'let d = builtins.toFile "tvix-cli-dep" "x\\n"; in builtins.toFile "tvix-cli-top" "uses ${d}\\n"'], { encoding: "utf8" }),
  ) as string;
  const dep = nixStore(["--query", "--references", top])[0];
  // A referrer cannot come before what it refers to.
  const early = await tvixStore("import-nar", ["--store-path", top, "--reference", dep], await nixDump(top));
  assert.equal(early.status, 1);
  assert.match(early.stderr, /^error: cannot import: its reference '\/nix\/store\/[a-z0-9]{32}-tvix-cli-dep' is not in the store\n$/);
  assert.equal((await ok("import-nar", ["--store-path", dep], await nixDump(dep))).toString(), `${dep}\n`);
  assert.equal((await ok("import-nar", ["--store-path", top, "--reference", dep], await nixDump(top))).toString(), `${top}\n`);

  // Imported as input-addressed paths, they have no content address; all else is Nix's.
  const nixJson = (withoutLocalFields(nix(["path-info", "--json", "--recursive", "--closure-size", top]).join("")) as Record<string, unknown>[]).map(({ ca: _ca, ...rest }) => rest);
  assert.deepEqual(JSON.parse((await ok("path-info", ["--json", "-r", "-S", top])).toString()), nixJson);
  assert.equal((await ok("path-info", ["-r", "-s", "-S", top])).toString(), `${nix(["path-info", "-r", "-s", "-S", top]).join("\n")}\n`);
});

test("ls and cat show what nix store ls and nix store cat show", async () => {
  await ok("add", sources);
  const [sample, , file, link, tree] = nixPaths;
  const cases: string[][] = [
    [sample],
    ["-l", sample],
    ["-R", "-l", sample],
    ["--json", sample],
    ["--json", "-R", sample],
    ["-d", sample],
    ["-d", "-l", `${sample}/sub`],
    [`${sample}/sub/`],
    ["-l", `${sample}/sub/b`],
    ["--json", `${sample}/link`],
    ["-l", file],
    ["-l", link],
    // Only JSON for random names: Nix 2.8's line listings fail on names with '%' in them (it
    // passes them to boost::format as the format string).
    ["-R", "--json", tree],
  ];
  for (const args of cases) {
    const expected = execFileSync("nix", ["--extra-experimental-features", "nix-command", "store", "ls", ...args]);
    assert.ok((await ok("ls", args)).equals(expected), `ls ${args.join(" ")}`);
  }
  for (const path of [`${sample}/a`, `${sample}/sub/deeper/c`, file]) {
    const expected = execFileSync("nix", ["--extra-experimental-features", "nix-command", "store", "cat", path]);
    assert.ok((await ok("cat", [path])).equals(expected), `cat ${path}`);
  }
  // Nix's errors.
  for (const [command, path, message] of [
    ["ls", `${sample}/nope`, `path '${sample}/nope' does not exist`],
    ["ls", `${sample}/link/`, `path '${sample}/link/' does not exist`],
    ["cat", sample, `path '${sample}' is not a regular file`],
    ["cat", `${sample}/link`, `path '${sample}/link' is not a regular file`],
    ["cat", "/nix/store/00000000000000000000000000000000-x/a", "path '/nix/store/00000000000000000000000000000000-x' is not a valid store path"],
  ]) {
    const result = await tvixStore(command, [path]);
    assert.deepEqual([result.status, result.stderr], [1, `error: ${message}\n`], `${command} ${path}`);
  }
});

test("import-nar --name gives the nix-store --add path; truncated and hostile NARs add nothing", async () => {
  const nar = await nixDump(sources[0]);
  assert.equal((await ok("import-nar", ["--name", "sample"], nar)).toString().trim(), nixPaths[0]);
  const file = join(work, "sample.nar");
  writeFileSync(file, nar);
  assert.equal((await ok("import-nar", ["--name", "sample", file])).toString().trim(), nixPaths[0]);

  const url = `local://${join(work, "fresh-store")}`;
  const truncated = await tvixStore("import-nar", ["--name", "cut"], nar.subarray(0, nar.length - 40), url);
  assert.equal(truncated.status, 1);
  assert.match(truncated.stderr, /^error: .*(truncated|end of|unexpected end)/i);
  // Entries out of order: the NAR of a tree with the names swapped.
  const hostile = Buffer.from(nar.toString("latin1").replace("\x01\x00\x00\x00\x00\x00\x00\x00a\x00", "\x01\x00\x00\x00\x00\x00\x00\x00z\x00"), "latin1");
  assert.notDeepEqual(hostile, nar);
  const unsorted = await tvixStore("import-nar", ["--name", "bad"], hostile, url);
  assert.equal(unsorted.status, 1);
  assert.match(unsorted.stderr, /^error: /);
  const verify = await tvixStore("verify", [], undefined, url);
  assert.deepEqual([verify.status, verify.stdout.toString()], [0, "checked 0 paths, 0 blobs, 0 directories: no problems\n"]);
  // At a given path: still not there afterwards.
  const cutPath = "/nix/store/00000000000000000000000000000000-cut";
  assert.equal((await tvixStore("import-nar", ["--store-path", cutPath], nar.subarray(0, 100), url)).status, 1);
  assert.equal((await tvixStore("path-info", ["--json", cutPath], undefined, url)).stdout.toString(), `[{"path":"${cutPath}","valid":false}]`);
});

test("verify: a sound store passes; a damaged blob is found and named with its paths", async () => {
  const url = `local://${join(work, "verify-store")}`;
  const added = await runProcess(NODE, [TVIX, "store", "add", "--store", url, sources[0], sources[2]]);
  assert.equal(added.status, 0, added.stderr);
  const sound = await tvixStore("verify", [], undefined, url);
  assert.deepEqual([sound.status, sound.stdout.toString(), sound.stderr], [0, "checked 2 paths, 4 blobs, 3 directories: no problems\n", ""]);
  // Overwrite the blob of sub/b ("x\n") with other bytes of the same length.
  const digest = digestHex(blake3(Buffer.from("x\n")));
  writeFileSync(join(work, "verify-store", "blobs", digest.slice(0, 2), digest), "y\n");
  const damaged = await tvixStore("verify", [], undefined, url);
  assert.equal(damaged.status, 1);
  assert.equal(damaged.stdout.toString(), "checked 2 paths, 4 blobs, 3 directories: 1 problem\n");
  assert.match(damaged.stderr, new RegExp(`^path '${nixPaths[0]}': .*blob b3:\\S+ .*\n$`));
});

test("errors for missing paths and bad usage; a result symlink as argument", async () => {
  const missing = "/nix/store/00000000000000000000000000000000-missing";
  for (const [command, args] of [
    ["dump", [missing]],
    ["path-info", [missing]],
  ] as const) {
    const result = await tvixStore(command, [...args]);
    assert.deepEqual([result.status, result.stderr], [1, `error: path '${missing}' is not valid\n`]);
  }
  assert.equal((await ok("path-info", ["--json", missing])).toString(), `[{"path":"${missing}","valid":false}]`);
  const outside = await tvixStore("path-info", ["/tmp/not-in-store"]);
  assert.deepEqual([outside.status, outside.stderr], [1, "error: path '/tmp/not-in-store' is not in the Nix store\n"]);
  const usage = await tvixStore("import-nar", []);
  assert.equal(usage.status, 1);
  assert.match(usage.stderr, /^error: give either --name or --store-path\n/);
  const help = await tvixStore("ls", ["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout.toString(), /^Usage: tvix store ls/);
  // A symlink into the store (a `result` link) names what it points to.
  const result = join(work, "result");
  symlinkSync(nixPaths[2], result);
  await ok("add", [sources[2]]);
  assert.equal((await ok("path-info", [result])).toString(), `${nixPaths[2]}\n`);
});

test("on a terminal: a progress line that is erased before output, and no NAR", async () => {
  // `script` runs the command with a terminal as stdout and stderr.
  const onTerminal = (args: string[]) => runProcess("script", ["-qec", [NODE, TVIX, "store", ...args, "--store", storeUrl].join(" "), "/dev/null"]);
  const added = await onTerminal(["add", sources[0]]);
  assert.equal(added.status, 0);
  assert.equal(added.stdout.toString(), `\r\x1b[Kadding 0/1 (0%) ${sources[0]}\r\x1b[K${nixPaths[0]}\r\n`);
  const dump = await onTerminal(["dump", nixPaths[0]]);
  assert.equal(dump.status, 1);
  assert.equal(dump.stdout.toString(), "error: refusing to write a NAR to a terminal; redirect standard output\r\n");
});
