// Derivations instantiated by real Nix 2.8 against ours: `tvix derivation show` prints what
// `nix show-derivation` prints, print(parse(drv)) gives the .drv file back byte for byte, and
// hashDerivationModulo gives Nix's output paths and drv paths, also from a blank derivation.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodeBytes, utf8ToBytes } from "../../src/nix-compat/byte-string.ts";
import { parseAterm } from "../../src/nix-compat/derivation/aterm-parse.ts";
import { printAterm } from "../../src/nix-compat/derivation/aterm-print.ts";
import type { Derivation, DerivationOutput } from "../../src/nix-compat/derivation/derivation.ts";
import { DerivationHasher } from "../../src/nix-compat/derivation/hash-modulo.ts";
import { derivationPath, instantiateDerivation } from "../../src/nix-compat/derivation/instantiate.ts";
import { hashBytes } from "../../src/nix-compat/hash.ts";
import { makeFixedOutputPath, makeOutputPath, parseStorePath } from "../../src/nix-compat/store-path.ts";
import { SeededRandom } from "../support/seeded-random.ts";

const FEATURES = ["--extra-experimental-features", "nix-command ca-derivations impure-derivations"];
const TVIX = join(import.meta.dirname, "../../bin/tvix.js");

/** A Nix string literal for any byte string (raw bytes stay raw; the file is written as bytes). */
function nixString(s: string): string {
  const escapes: Record<string, string> = { "\\": "\\\\", '"': '\\"', $: "\\$", "\n": "\\n", "\r": "\\r", "\t": "\\t" };
  return `"${s.replace(/[\\"$\n\r\t]/g, (c) => escapes[c])}"`;
}

/** Byte strings that stress escaping, sorting and byte handling, including invalid UTF-8 ("\xff"). */
const PALETTE = ["a", "Z", "0", " ", '"', "\\", "\n", "\r", "\t", "$", "${", "{", "}", "(", ")", ",", "[", "]", "=", ":",
  ...["é", "€", "\u{FFFD}", "\u{FFFF}", "😀"].map(utf8ToBytes), "\x01", "\x1f", "\x7f", "\xff", "\x80", "\xc3"];

function randomString(random: SeededRandom, maxLength: number): string {
  let s = "";
  for (let n = random.int(0, maxLength); n > 0; n--) s += random.pick(PALETTE);
  return s;
}

const ODD_VALUES = ["", '"q"', "a\\b\\", "l1\nl2\n", "\t", "\r\n", "${x} $y $", utf8ToBytes("é€😀\u{FFFD}"), "\x01\x1f\x7f", "\xff\xfe\xc3", "(\"a\",[\"b\"])"];

/** Fixed test cases: binding name → expression (bindings may use each other; `d` makes a derivation). */
function fixedCases(): [string, string][] {
  const hashOf = (algo: "md5" | "sha1" | "sha256" | "sha512") => hashBytes(algo, `content for ${algo}`);
  const fod = (name: string, mode: string, hash: string, extra = "") =>
    `d "${name}" { outputHashMode = "${mode}"; outputHash = "${hash}"; ${extra} }`;
  const odd = ODD_VALUES.map((v, i) => `v${i} = ${nixString(v)};`).join(" ");
  const oddNames = ['"attr with space"', '"quo\\"te"', utf8ToBytes('"\u{FFFD}"'), utf8ToBytes('"😀"'), '"\xff"', '"\x01ctl"', '"new\\nline"'];
  const cases: [string, string][] = [
    ["simple", `d "simple" { }`],
    ["multi", `d "multi" { outputs = [ "out" "dev" "lib" "doc" ]; }`],
    ["libFirst", `d "lib-first" { outputs = [ "lib" "out" ]; }`],
    ["fodFlatSha256", fod("fod-flat-sha256", "flat", hashOf("sha256").format("base16"))],
    ["fodFlatSha1", fod("fod-flat-sha1", "flat", hashOf("sha1").format("nix32"))],
    ["fodFlatSha512", fod("fod-flat-sha512", "flat", hashOf("sha512").toSri())],
    ["fodFlatMd5", fod("fod-flat-md5", "flat", hashOf("md5").encode("base16"), `outputHashAlgo = "md5";`)],
    ["fodRecSha256", fod("fod-rec-sha256", "recursive", hashOf("sha256").toSri())],
    ["fodRecSha1", fod("fod-rec-sha1", "recursive", hashOf("sha1").format("base16"))],
    ["fodRecSha512", fod("fod-rec-sha512", "recursive", hashOf("sha512").format("base64"))],
    ["fodRecMd5", fod("fod-rec-md5", "recursive", hashOf("md5").format("nix32"))],
    ["fodEmptyHash", `d "fod-empty" { outputHashAlgo = "sha256"; outputHash = ""; }`],
    // Twins: same name and hash, different builders, so the same output path and hash modulo.
    ["fodTwinA", fod("fod-twin", "flat", hashOf("sha256").toSri(), `url = "a";`)],
    ["fodTwinB", fod("fod-twin", "flat", hashOf("sha256").toSri(), `url = "b";`)],
    ["usesFods", `d "uses-fods" { a = fodTwinA; b = fodTwinB; c = "\${fodRecSha1}"; m = fodFlatMd5; }`],
    ["odd", `d "odd" { ${odd} ${oddNames.map((n, i) => `${n} = "${i}";`).join(" ")} }`],
    ["oddArgs", `d "odd-args" { args = [ ${ODD_VALUES.map(nixString).join(" ")} ]; }`],
    ["manyArgs", `d "many-args" { args = builtins.genList (i: "arg-\${toString i}") 300; }`],
    ["oddBuilder", `d "odd-builder" { builder = ${nixString('/bin/"sh"\n\\t')}; }`],
    ["structured", `d "structured" { __structuredAttrs = true; outputs = [ "out" "dev" ]; nested = { a = 1; b = [ 1 "two" null true 1.5 ]; "odd key" = ${nixString(utf8ToBytes('"\n\\é'))}; }; dep = "\${simple}"; }`],
    ["passAsFile", `d "pass-as-file" { passAsFile = [ "big" "other" ]; big = builtins.concatStringsSep "\\n" (builtins.genList toString 2000); other = "x"; }`],
    ["ignoreNulls", `d "ignore-nulls" { __ignoreNulls = true; gone = null; kept = "k"; t = true; f = false; i = -7; l = [ "a" 1 "\${simple}" ]; }`],
    ["sources", `d "sources" { src = ./file.txt; dir = ./dir; text = builtins.toFile "text-file" "hello\\n"; renamed = builtins.path { path = ./file.txt; name = "renamed-file"; }; }`],
    ["drvPathDep", `d "drvpath-dep" { p = multi.drvPath; }`],
    ["discardedDep", `d "discarded-dep" { p = builtins.unsafeDiscardOutputDependency libFirst.drvPath; }`],
    ["outputDeps", `d "output-deps" { dev = "\${multi.dev}"; lib = multi.lib; out2 = libFirst; both = "\${multi.out}\${multi.doc}"; }`],
    ["ca", `d "ca" { __contentAddressed = true; outputs = [ "out" "lib" ]; }`],
    ["caFlat", `d "ca-flat" { __contentAddressed = true; outputHashMode = "flat"; outputHashAlgo = "sha1"; }`],
    ["caDep", `d "ca-dep" { x = ca; y = "\${ca.lib}"; }`],
    ["caDepDep", `d "ca-dep-dep" { x = caDep; s = simple; }`],
    ["impure", `d "impure" { __impure = true; outputHashAlgo = "sha512"; }`],
    ["impureDep", `d "impure-dep" { x = impure; }`],
  ];
  for (let i = 0; i < 8; i++) {
    cases.push([`chain${i}`, `d "chain-${i}" { ${i === 0 ? "" : `prev = chain${i - 1}; `}outputs = [ "out" "dev" ]; extra = "\${usesFods}"; }`]);
  }
  return cases;
}

/** Seeded random derivations, each depending on a few before it. */
function generatedCases(seed: number, count: number): [string, string][] {
  const random = new SeededRandom(seed);
  const cases: [string, string][] = [];
  const outputsOf: string[][] = [];
  for (let i = 0; i < count; i++) {
    const outputs = random.shuffle(["out", "dev", "lib", "bin", "doc"]).slice(0, random.int(1, 3));
    const attrs = new Map<string, string>();
    for (let n = random.int(0, 12); n > 0; n--) {
      const value = (() => {
        const roll = random.int(0, 9);
        if (roll < 5) return nixString(randomString(random, 40));
        if (roll === 5) return String(random.int(-1000, 1000));
        if (roll === 6) return random.pick(["true", "false", "null"]);
        if (roll === 7) return `[ ${nixString(randomString(random, 5))} ${nixString(randomString(random, 5))} ]`;
        if (i === 0) return '""';
        const k = random.int(0, i - 1);
        return random.int(0, 1) ? `gen${k}` : `"\${gen${k}.${random.pick(outputsOf[k])}}"`;
      })();
      attrs.set(`v${randomString(random, 8)}`, value);
    }
    const args = random.int(0, 3) === 0 ? `args = [ ${Array.from({ length: random.int(0, 6) }, () => nixString(randomString(random, 10))).join(" ")} ];` : "";
    const env = [...attrs].map(([name, value]) => `${nixString(name)} = ${value};`).join(" ");
    cases.push([`gen${i}`, `d "gen-${i}" { outputs = [ ${outputs.map((o) => `"${o}"`).join(" ")} ]; ${args} ${env} }`]);
    outputsOf.push(outputs);
  }
  return cases;
}

function nixInstantiate(dir: string, cases: [string, string][]): Map<string, string> {
  const bindings = cases.map(([name, expr]) => `  ${name} = ${expr};`).join("\n");
  const text = `let\n  d = name: attrs: derivation ({ inherit name; system = "x86_64-linux"; builder = "/bin/sh"; } // attrs);\n${bindings}\nin [ ${cases.map(([name]) => name).join(" ")} ]\n`;
  writeFileSync(join(dir, "default.nix"), encodeBytes(text));
  const stdout = execFileSync("nix-instantiate", [...FEATURES, join(dir, "default.nix")], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const drvPaths = stdout.trim().split("\n").map((line) => line.replace(/!.*$/, ""));
  assert.equal(drvPaths.length, cases.length);
  return new Map(cases.map(([name], i) => [name, drvPaths[i]]));
}

const readDrv = (drvPath: string): Derivation => parseAterm(readFileSync(drvPath));
const drvName = (drvPath: string): string => parseStorePath(drvPath).name.replace(/\.drv$/, "");

/** The derivation as the evaluator hands it over: output paths and their env entries not yet set. */
function blank(drv: Derivation): Derivation {
  const outputs = new Map<string, DerivationOutput>();
  for (const [name, output] of drv.outputs) {
    if (output.kind === "inputAddressed") outputs.set(name, { kind: "deferred" });
    else if (output.kind === "fixed") outputs.set(name, { ...output, path: "" });
    else outputs.set(name, output);
  }
  return { ...drv, outputs, env: new Map([...drv.env].filter(([name]) => !drv.outputs.has(name))) };
}

describe("derivations instantiated by Nix 2.8", () => {
  let dir: string;
  let byCase: Map<string, string>;
  /** Every drv of the cases and their input closure, from `nix show-derivation -r`. */
  let closure: string[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tvix-drv-"));
    writeFileSync(join(dir, "file.txt"), "a local source file\n");
    mkdirSync(join(dir, "dir"));
    writeFileSync(join(dir, "dir", "inner"), "inner\n");
    byCase = nixInstantiate(dir, [...fixedCases(), ...generatedCases(0x5eed, 40)]);
    const json = execFileSync("nix", [...FEATURES, "show-derivation", "-r", ...new Set(byCase.values())], { encoding: "utf8" });
    closure = Object.keys(JSON.parse(json));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it("covers a closure of varied derivations", () => {
    assert.ok(closure.length >= 75, `only ${closure.length} derivations`);
    const kinds = new Set(closure.flatMap((p) => [...readDrv(p).outputs.values()].map((o) => o.kind)));
    assert.deepEqual([...kinds].sort(), ["deferred", "fixed", "floating", "impure", "inputAddressed"]);
  });

  for (const recursive of [false, true]) {
    it(`tvix derivation show${recursive ? " -r" : ""} prints what nix show-derivation prints`, () => {
      const args = [...(recursive ? ["-r"] : []), ...byCase.values()];
      const theirs = spawnSync("nix", [...FEATURES, "show-derivation", ...args]);
      const ours = spawnSync(process.execPath, [TVIX, "derivation", "show", ...args]);
      assert.equal(theirs.status, 0, theirs.stderr.toString());
      assert.equal(ours.status, 0, ours.stderr.toString());
      assert.deepEqual(JSON.parse(ours.stdout.toString()), JSON.parse(theirs.stdout.toString()));
      assert.ok(ours.stdout.equals(theirs.stdout), "same JSON, different bytes");
    });
  }

  it("follows symlinks into the store and fails where Nix fails", () => {
    const link = join(dir, "result.drv");
    symlinkSync(byCase.get("multi")!, link);
    const showBoth = (...args: string[]) => [spawnSync("nix", [...FEATURES, "show-derivation", ...args]), spawnSync(process.execPath, [TVIX, "derivation", "show", ...args])];
    const [theirs, ours] = showBoth(link);
    assert.equal(ours.status, 0, ours.stderr.toString());
    assert.ok(ours.stdout.equals(theirs.stdout));
    const missing = `/nix/store/${"0".repeat(32)}-missing.drv`;
    assert.notEqual(showBoth(missing)[0].status, 0);
    for (const [bad, message] of [[join(dir, "file.txt"), /is not in the Nix store/], [missing, /no such file/]] as const) {
      const tvixResult = spawnSync(process.execPath, [TVIX, "derivation", "show", bad]);
      assert.equal(tvixResult.status, 1);
      assert.match(tvixResult.stderr.toString(), message);
    }
    // Nix finds the deriver of an output path in its database; reading files, we cannot.
    const outPath = (readDrv(byCase.get("simple")!).outputs.get("out") as { path: string }).path;
    assert.match(showBoth(outPath)[1].stderr.toString(), /is not a derivation/);
  });

  it("prints every .drv back byte for byte", () => {
    for (const drvPath of closure) {
      const bytes = readFileSync(drvPath);
      assert.equal(printAterm(parseAterm(bytes)).toString("latin1"), bytes.toString("latin1"), drvPath);
    }
  });

  it("computes Nix's output paths and drv paths", () => {
    const hasher = new DerivationHasher(readDrv);
    for (const drvPath of closure) {
      const drv = readDrv(drvPath);
      const name = drvName(drvPath);
      assert.equal(derivationPath(drv, name).toAbsolute(), drvPath);
      const modulo = hasher.hashModulo(drv, true);
      for (const [outputName, output] of drv.outputs) {
        if (output.kind === "inputAddressed") {
          assert.ok(!modulo.deferred, drvPath);
          assert.equal(makeOutputPath(modulo.hashes.get(outputName)!, outputName, name).toAbsolute(), output.path, `${drvPath} ${outputName}`);
        } else if (output.kind === "fixed") {
          assert.equal(makeFixedOutputPath(name, output.hash.method, output.hash.hash).toAbsolute(), output.path, drvPath);
        } else if (output.kind === "deferred") {
          assert.ok(modulo.deferred, `${drvPath} has deferred outputs but its hash is not deferred`);
        }
      }
    }
  });

  it("instantiates a blank derivation to Nix's", () => {
    const hasher = new DerivationHasher(readDrv);
    for (const drvPath of closure) {
      const { drv, drvPath: ours } = instantiateDerivation(drvName(drvPath), blank(readDrv(drvPath)), hasher);
      assert.equal(printAterm(drv).toString("latin1"), readFileSync(drvPath, "latin1"), drvPath);
      assert.equal(ours, drvPath);
    }
  });

  it("writes a derivation Nix cannot read back (a quote in system) as Nix does", () => {
    const expr = 'derivation { name = "quoted-system"; system = "x86\\"64"; builder = "/bin/sh"; }';
    const drvPath = JSON.parse(execFileSync("nix-instantiate", ["--eval", "--json", "-E", `(${expr}).drvPath`], { encoding: "utf8" }));
    // Read-write evaluation writes the .drv, then fails to parse it again.
    const written = spawnSync("nix-instantiate", ["--read-write-mode", "--eval", "-E", `(${expr}).drvPath`]);
    assert.match(written.stderr.toString(), /error parsing derivation/);
    const draft: Derivation = {
      outputs: new Map([["out", { kind: "deferred" }]]),
      inputDrvs: new Map(),
      inputSrcs: [],
      system: 'x86"64',
      builder: "/bin/sh",
      args: [],
      env: new Map([["builder", "/bin/sh"], ["name", "quoted-system"], ["system", 'x86"64']]),
    };
    const { drv, drvPath: ours } = instantiateDerivation("quoted-system", draft, new DerivationHasher(readDrv));
    assert.equal(ours, drvPath);
    assert.ok(printAterm(drv).equals(readFileSync(drvPath)));
    assert.throws(() => readDrv(drvPath), /invalid derivation at byte \d+ \(in system\): expected ','/);
  });
});
