// Every .nix file of the pinned nixpkgs tree (nixpkgs-0aeba64f, ../../shared/nixpkgs) through
// the parser: it must parse everything Nix 2.8 parses. The tree has a few stale files that
// Nix 2.8 rejects (undefined variables); those must be rejected with Nix's message and
// position. A sample of the others is compared with Nix's --parse output, and the parse
// speed is reported.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Source } from "../src/eval/position.ts";
import { parseNix } from "../src/eval/syntax/parse.ts";
import { ParseError } from "../src/eval/syntax/parse-error.ts";
import { showExpr } from "../src/eval/syntax/show.ts";
import { nixFiles, unpackedNixpkgs } from "./support/nixpkgs.ts";
import { comparableParseOutput } from "./support/parse.ts";

const HOME = "/home/nixpkgs-test";
/** Every how many-th accepted file is compared with Nix's --parse output. */
const SAMPLE_EVERY = 250;

function nixInstantiateParse(path: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, HOME, NIX_REMOTE: "dummy://" };
    execFile("nix-instantiate", ["--parse", path], { env, encoding: "buffer", maxBuffer: 1 << 28 }, (err, stdout, stderr) =>
      resolve({ ok: !err, stdout: stdout.toString("latin1"), stderr: stderr.toString("latin1") }),
    );
  });
}


test("nixpkgs-0aeba64f: every .nix file parses as with Nix 2.8", async (t) => {
  const tree = unpackedNixpkgs("nixpkgs-0aeba64f");
  const files = nixFiles(tree);
  assert.ok(files.length > 20000, `${files.length} files`);
  const texts = files.map((path) => readFileSync(path, "latin1"));

  const rejected: { path: string; error: ParseError; source: Source }[] = [];
  const sample: { path: string; output: string }[] = [];
  const started = process.cpuUsage();
  texts.forEach((text, i) => {
    // Unregistered sources: 54 MB of text need not stay alive for the rest of the run.
    const source = new Source(files[i], text, 1);
    try {
      const expr = parseNix(source, { homeDir: HOME });
      if (i % SAMPLE_EVERY === 0) sample.push({ path: files[i], output: showExpr(expr) });
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      rejected.push({ path: files[i], error: err, source });
    }
  });
  const cpu = process.cpuUsage(started);
  const megabytes = texts.reduce((sum, text) => sum + text.length, 0) / 1e6;
  const seconds = (cpu.user + cpu.system) / 1e6;
  t.diagnostic(`${files.length} files, ${megabytes.toFixed(1)} MB in ${seconds.toFixed(2)} s CPU: ${(megabytes / seconds).toFixed(1)} MB/s`);

  // The stale files, all with undefined variables. When a variable is undefined in several
  // places Nix reports the one its symbol table orders first (by memory address); we report
  // the first in the file. Nix's position must be an occurrence of the same variable.
  assert.ok(rejected.length <= 30, `${rejected.length} files rejected`);
  for (const { path, error, source } of rejected) {
    const nix = await nixInstantiateParse(path);
    assert.ok(!nix.ok, `${path}: Nix parses it, we say ${error.message}`);
    assert.equal(nix.stderr.split("\n")[0], `error: ${error.message}`, path);
    const name = /^undefined variable '(.*)'$/.exec(error.message)?.[1];
    assert.ok(name !== undefined, `${path}: ${error.message}`);
    const [, line, column] = /at .*:(\d+):(\d+):/.exec(nix.stderr) ?? [];
    const lineText = source.text.split("\n")[Number(line) - 1];
    assert.equal(lineText.slice(Number(column) - 1, Number(column) - 1 + name.length), name, `${path}:${line}:${column}`);
  }

  for (const { path, output } of sample) {
    const nix = await nixInstantiateParse(path);
    assert.ok(nix.ok, `${path}: Nix rejects it: ${nix.stderr}`);
    assert.equal(comparableParseOutput(output, HOME), comparableParseOutput(nix.stdout.replace(/\n$/, ""), HOME), path);
  }
});
