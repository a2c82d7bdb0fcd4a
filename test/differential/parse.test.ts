// The parser against real Nix 2.8 (`nix-instantiate --parse FILE`), on seeded random
// expressions (valid ones and one-token mutations of them) and on every .nix file of the
// conformance suites. Nix accepts ⇔ we accept; accepted files give the same tree (compared in
// Nix's --parse notation); rejected ones the same message at the same line and column.
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { addSource } from "../../src/eval/position.ts";
import { parseNix } from "../../src/eval/syntax/parse.ts";
import { NIX_GLOBAL_NAMES } from "../../src/eval/syntax/global-names.ts";
import { ParseError } from "../../src/eval/syntax/parse-error.ts";
import { showExpr } from "../../src/eval/syntax/show.ts";
import { ExpressionGenerator } from "../support/nix-expression-generator.ts";
import { comparableParseOutput } from "../support/parse.ts";
import { SeededRandom } from "../support/seeded-random.ts";

const HOME = "/home/differential";
const CONCURRENCY = 4;

/** What a parser made of a file: its --parse output, or its error message and position. */
type Outcome = { ok: string } | { error: string; at: string | null } | { crashed: string };

function nixParse(path: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const env = { ...process.env, HOME, NIX_REMOTE: "dummy://" };
    execFile("nix-instantiate", ["--parse", path], { env, encoding: "buffer", maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: stdout.toString("latin1").replace(/\n$/, "") });
      if (err.signal) return resolve({ crashed: err.signal });
      const text = stderr.toString("latin1");
      const message = /^error: (.*)$/m.exec(text)?.[1] ?? text;
      const at = /^\s+at (.*):$/m.exec(text)?.[1] ?? null;
      resolve({ error: message, at });
    });
  });
}

function ourParse(path: string, bytes: string): Outcome {
  const source = addSource(path, bytes);
  try {
    return { ok: showExpr(parseNix(source, { homeDir: HOME })) };
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    if (err.pos === 0) return { error: err.message, at: null };
    const { line, column } = source.lineColumn(err.pos - source.base);
    return { error: err.message, at: `${path}:${line}:${column}` };
  }
}


/** Nix reports one of several duplicate formals or undefined variables by memory address. */
const AMBIGUOUS = ["duplicate formal function argument ", "undefined variable "];

function compare(file: string, source: string, nix: Outcome, ours: Outcome): void {
  const context = `${file}:\n${source}`;
  if ("crashed" in nix) return; // Nix 2.8 segfaults on some unterminated strings; ours just must not crash.
  assert.ok(!("crashed" in ours));
  if ("ok" in nix) {
    assert.ok("ok" in ours, `${context}\nNix accepts; we say: ${"error" in ours ? ours.error : ""}`);
    assert.equal(comparableParseOutput(ours.ok, HOME), comparableParseOutput(nix.ok, HOME), context);
    return;
  }
  assert.ok("error" in ours, `${context}\nNix says: ${nix.error}; we accept`);
  const ambiguous = AMBIGUOUS.find((prefix) => nix.error.startsWith(prefix));
  if (ambiguous) {
    assert.ok(ours.error.startsWith(ambiguous), `${context}\nNix: ${nix.error}\nours: ${ours.error}`);
    return;
  }
  assert.equal(ours.error, nix.error, context);
  assert.equal(ours.at, nix.at, context);
}

/** Runs `work` over `items`, `CONCURRENCY` at a time. */
async function pool<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return results;
}

test("random expressions and mutations: same verdict, tree and error as Nix 2.8", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tvix-parse-diff-"));
  try {
    const generator = new ExpressionGenerator(new SeededRandom(20220514));
    const texts = [...Array.from({ length: 250 }, () => generator.valid()), ...Array.from({ length: 250 }, () => generator.mutated())];
    const files = texts.map((text, i) => {
      const path = join(dir, `case-${i}.nix`);
      writeFileSync(path, text);
      return path;
    });
    const verdicts = await pool(files, nixParse);
    let accepted = 0;
    files.forEach((path, i) => {
      const nix = verdicts[i];
      if ("ok" in nix) accepted++;
      compare(path, texts[i], nix, ourParse(path, Buffer.from(texts[i]).toString("latin1")));
    });
    // The generator must exercise both outcomes substantially.
    assert.ok(accepted > 250 && accepted < 450, `${accepted} of ${texts.length} accepted`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every .nix file of the conformance suites: same verdict, tree and error as Nix 2.8", async () => {
  const root = fileURLToPath(new URL("../../../shared/conformance/", import.meta.url));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = statSync(path, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(path);
      else if (stat?.isFile() && name.endsWith(".nix")) files.push(path);
    }
  };
  walk(join(root, "nix-lang-2.8/lang"));
  walk(join(root, "nix-lang/lang"));
  assert.ok(files.length > 600, `${files.length} files`);
  const verdicts = await pool(files, nixParse);
  files.forEach((path, i) => {
    const bytes = readFileSync(path, "latin1");
    compare(path, bytes, verdicts[i], ourParse(path, bytes));
  });
});

test("the names in scope everywhere are Nix 2.8's", () => {
  // Nix 2.8 knows every one of them (an undefined one would fail to parse)…
  const list = `[ ${NIX_GLOBAL_NAMES.join(" ")} ]`;
  execFileSync("nix-instantiate", ["--parse", "-E", list], { stdio: "ignore" });
  // …and each builtin is a global under its own name or with "__" in front.
  const builtins = JSON.parse(execFileSync("nix-instantiate", ["--eval", "--json", "-E", "builtins.attrNames builtins"], { encoding: "utf8" })) as string[];
  const globals = new Set(NIX_GLOBAL_NAMES);
  for (const name of builtins) assert.ok(globals.has(name) || globals.has(`__${name}`), name);
  // (`builtins.builtins` exists too, so that is one global per attribute of `builtins`.)
  assert.equal(NIX_GLOBAL_NAMES.length, builtins.length);
});
