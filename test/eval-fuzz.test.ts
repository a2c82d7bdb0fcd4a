// No-crash fuzz test of `tvix eval --strict` (plain, --json, --xml): mutated conformance files (both suites) and
// generated hostile programs, each evaluated by its own process under a time limit. Only the
// outcome's shape is checked: exit 0, or exit 1 with a Nix-style `error:` — never a JS stack
// trace, an internal error, death by a signal or a hang. A program that also makes real Nix
// hang or die is not counted against us.
//
// Reproduce a failure with the seed it prints: EVAL_FUZZ_SEED=<seed> EVAL_FUZZ_COUNT=1.
// Explore further with another EVAL_FUZZ_SEED and a larger EVAL_FUZZ_COUNT.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { HostileProgramGenerator } from "./support/hostile-nix-programs.ts";
import { NixSourceMutator } from "./support/nix-source-mutator.ts";
import { nixFiles } from "./support/nixpkgs.ts";
import { SeededRandom } from "./support/seeded-random.ts";

const SEED = Number(process.env.EVAL_FUZZ_SEED ?? 20261122);
/** Processes of ~0.35 s CPU each: about a minute on 2 idle cores. */
const COUNT = Number(process.env.EVAL_FUZZ_COUNT ?? 300);
/** A program still running after this much CPU time hangs; the wall-clock limit only backs it up. */
const CPU_LIMIT_S = 10;
const WALL_LIMIT_MS = 120_000;
/** Linux's USER_HZ, the unit of /proc/PID/stat's times (100 on every architecture Node runs on). */
const CLOCK_TICKS = 100;
const PARALLEL = Math.min(availableParallelism(), 4);
/** Share of programs that are mutated conformance files; the rest are generated hostile programs. */
const MUTATED_SHARE = 0.7;
/** Share of mutated programs that start from an `eval-okay-` case, which evaluates further than the rest. */
const EVALUATING_SHARE = 0.6;

const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));
const SUITES = ["nix-lang", "nix-lang-2.8"].map((suite) => fileURLToPath(new URL(`../../shared/conformance/${suite}/lang`, import.meta.url)));
/** Programs that would reach the network are left out of the corpus. */
const NETWORK = /\bfetch(url|Tarball|Git|Tree|Mercurial|Closure)\b|getFlake/;

interface Program {
  seed: number;
  origin: string;
  /** Binary string (one char per byte). */
  text: string;
  /** Where it is evaluated: a copy (by symlinks) of the lang directory it came from, so that relative imports resolve. */
  dir: string;
  /** `--strict`, sometimes with `--json` or `--xml`: each output format forces values its own way. */
  flags: string[];
}

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** The start of stderr (binary string). */
  stderr: string;
  /** Wall-clock time. */
  seconds: number;
}

const work = mkdtempSync(join(tmpdir(), "tvix-eval-fuzz-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** A directory of symlinks to the entries of `langDir`, where mutated programs are written. */
function stagingDir(langDir: string): string {
  const dir = join(work, basename(dirname(langDir)));
  mkdirSync(dir);
  for (const entry of readdirSync(langDir)) symlinkSync(join(langDir, entry), join(dir, entry));
  return dir;
}

interface SourceFile {
  /** Suite and path, for reports. */
  file: string;
  text: string;
  /** The suite's staging directory. */
  dir: string;
}

const OUTPUT_FLAGS = [[], [], [], ["--json"], ["--xml"]];

function generate(seed: number, corpus: SourceFile[], builtinNames: string[]): Program {
  const random = new SeededRandom(seed);
  const flags = ["--strict", ...random.pick(OUTPUT_FLAGS)];
  if (random.next() < MUTATED_SHARE) {
    // Most cases expect parse or evaluation errors; the programs that evaluate get mutated more often.
    const evaluating = corpus.filter((source) => basename(source.file).startsWith("eval-okay-"));
    const source = random.pick(random.next() < EVALUATING_SHARE ? evaluating : corpus);
    const mutator = new NixSourceMutator(random, corpus.map((c) => c.text));
    return { seed, origin: `mutated ${source.file}`, text: mutator.mutate(source.text), dir: source.dir, flags };
  }
  return { seed, origin: "generated", text: new HostileProgramGenerator(random, builtinNames).program(), dir: corpus[0].dir, flags };
}

/** Runs `command` on the program's file in its directory; kills it at the CPU time limit. */
function evaluate(command: string, args: string[], program: Program): Promise<Outcome> {
  const file = join(program.dir, `fuzz-${program.seed}.nix`);
  writeFileSync(file, program.text, "latin1");
  return new Promise((resolve) => {
    const child = spawn(command, [...args, file], { cwd: program.dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NIX_PATH: "" } });
    const started = Date.now();
    let stderr = "";
    let timedOut = false;
    child.stdout.resume();
    child.stderr.setEncoding("latin1");
    child.stderr.on("data", (chunk: string) => {
      if (stderr.length < 1 << 16) stderr += chunk;
    });
    // CPU time, not wall time, is limited: a loaded machine must not turn slow runs into hangs.
    const poll = setInterval(() => {
      if (cpuSeconds(child.pid) > CPU_LIMIT_S || Date.now() - started > WALL_LIMIT_MS) {
        timedOut = true;
        child.kill("SIGKILL");
      }
    }, 250);
    child.on("close", (code, signal) => {
      clearInterval(poll);
      rmSync(file, { force: true });
      resolve({ code, signal, timedOut, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** User + system CPU seconds used so far by a running process, from /proc (0 once it is gone). */
function cpuSeconds(pid: number | undefined): number {
  try {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th, in clock ticks.
    const fields = readFileSync(`/proc/${pid}/stat`, "latin1").replace(/^.*\) /s, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** What is wrong with an outcome, or undefined for a clean one. */
function problem(outcome: Outcome): string | undefined {
  if (outcome.timedOut) return `no result within ${CPU_LIMIT_S} s of CPU time`;
  if (outcome.signal) return `killed by ${outcome.signal}`;
  // V8 stack frames are indented by four spaces; Nix's "at FILE:LINE:COL:" lines by seven.
  if (/^ {4}at /m.test(outcome.stderr)) return "JavaScript stack trace";
  if (/internal error|\b(Type|Range|Reference|Syntax)Error\b/.test(outcome.stderr)) return "JavaScript error";
  if (outcome.code !== 0 && outcome.code !== 1) return `exit code ${outcome.code}`;
  if (outcome.code === 1 && !/^error: /m.test(outcome.stderr)) return "exit 1 without an 'error:' line";
  return undefined;
}

/** Real Nix on the same program: does it finish (with a result or an error) within the limit? */
async function nixFinishes(program: Program): Promise<boolean> {
  const outcome = await evaluate("nix-instantiate", ["--eval", ...program.flags], program);
  return !outcome.timedOut && !outcome.signal && (outcome.code === 0 || outcome.code === 1);
}

test(`tvix eval survives ${COUNT} fuzzed programs (seeds ${SEED}…${SEED + COUNT - 1})`, { timeout: 30 * 60_000 }, async (t) => {
  const corpus = SUITES.flatMap((langDir) => {
    const dir = stagingDir(langDir);
    return nixFiles(langDir)
      .map((file) => ({ file: `${basename(dirname(langDir))}/${relative(langDir, file)}`, text: readFileSync(file, "latin1"), dir }))
      .filter((source) => !NETWORK.test(source.text));
  });
  const builtinNames = JSON.parse(execFileSync("nix-instantiate", ["--eval", "--json", "-E", "builtins.attrNames builtins"], { encoding: "utf8" })) as string[];

  const failures: string[] = [];
  const tally = { ok: 0, error: 0, divergesInNixToo: 0 };
  const timings: { seconds: number; seed: number }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < COUNT) {
      const program = generate(SEED + next++, corpus, builtinNames);
      const outcome = await evaluate(process.execPath, [TVIX, "eval", ...program.flags], program);
      const wrong = problem(outcome);
      timings.push({ seconds: outcome.seconds, seed: program.seed });
      if (!wrong) tally[outcome.code === 0 ? "ok" : "error"]++;
      else if ((outcome.timedOut || outcome.signal) && !(await nixFinishes(program))) tally.divergesInNixToo++;
      else failures.push(report(program, wrong, outcome));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  const slowest = timings.sort((a, b) => b.seconds - a.seconds).slice(0, 3);
  t.diagnostic(`slowest: ${slowest.map((s) => `seed ${s.seed} ${s.seconds.toFixed(1)} s`).join(", ")}`);
  t.diagnostic(`exit 0: ${tally.ok}, clean errors: ${tally.error}, hang or die in real Nix too: ${tally.divergesInNixToo}, failures: ${failures.length}`);
  assert.deepEqual(failures, []);
});

/** A failure with its seed, and the program kept in a file for minimising. */
function report(program: Program, wrong: string, outcome: Outcome): string {
  const kept = join(tmpdir(), "tvix-eval-fuzz-failures");
  mkdirSync(kept, { recursive: true });
  const file = join(kept, `${program.seed}.nix`);
  writeFileSync(file, program.text, "latin1");
  const stderr = outcome.stderr.split("\n").slice(0, 12).join("\n");
  return `seed ${program.seed} (${program.origin}, ${program.flags.join(" ")}): ${wrong}; program kept in ${file}, reproduce with EVAL_FUZZ_SEED=${program.seed} EVAL_FUZZ_COUNT=1\n${stderr}`;
}
