// The driver with a real (memory) store and a builder that only makes files: the real builders
// (runc, remote) are tested with the CLI in test/build-cli.test.ts; here what matters is the
// driver's side — writing what evaluation adds, store queries, -j, failures, loads, realisations.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { putBlob, readBlob } from "../castore/blob-service.ts";
import { CastoreError } from "../castore/errors.ts";
import { BuildError, type BuildOutput, type BuildService } from "../build/build-service.ts";
import { printAterm } from "../nix-compat/derivation/aterm-print.ts";
import type { Derivation } from "../nix-compat/derivation/derivation.ts";
import { DerivationHasher } from "../nix-compat/derivation/hash-modulo.ts";
import { instantiateDerivation } from "../nix-compat/derivation/instantiate.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import { BuildRequestSchema, type BuildRequest } from "../proto/gen/tvix/build/v1/build_pb.js";
import type { Store } from "../store/composition.ts";
import { openMemoryStore } from "../store/memory/store.ts";
import { calculateNar } from "../store/nar/render.ts";
import { writePendingPath } from "../glue/write-pending.ts";
import { BuildDriver, type BuildGlue, buildFailure, type DriverOptions, type DriverReporter } from "./driver.ts";

const STORE_DIR = "/nix/store";

/** Derivations made as builtins.derivation makes them; `script` "fail" makes the fake builder fail. */
class World {
  readonly drvs = new Map<string, Derivation>();
  private readonly hasher = new DerivationHasher((path) => this.drvs.get(path)!);

  make(name: string, script: string, inputs: string[] = [], outputs = ["out"]): string {
    const draft: Derivation = {
      outputs: new Map(outputs.map((o) => [o, { kind: "deferred" }])),
      inputDrvs: new Map(inputs.map((i) => [i, ["out"]])),
      inputSrcs: [],
      system: "x86_64-linux",
      builder: script,
      args: [],
      env: new Map([["name", name]]),
    };
    const { drv, drvPath } = instantiateDerivation(name, draft, this.hasher, STORE_DIR);
    this.drvs.set(drvPath, drv);
    return drvPath;
  }

  outPath(drvPath: string, output = "out"): string {
    return (this.drvs.get(drvPath)!.outputs.get(output) as { path: string }).path;
  }
}

/** Builds by writing each output as a file holding the builder string; measures concurrency. */
class FakeBuilder implements BuildService {
  running = 0;
  mostAtOnce = 0;
  requests: BuildRequest[] = [];
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  async doBuild(request: BuildRequest, options: { onLog?: (c: Uint8Array) => void; signal?: AbortSignal } = {}): Promise<BuildOutput[]> {
    this.requests.push(request);
    this.running++;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    try {
      if (request.commandArgs[0] === "slow") {
        await new Promise((resolve) => options.signal?.addEventListener("abort", resolve));
        throw new BuildError("build was aborted");
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
      options.onLog?.(Buffer.from(`building ${request.commandArgs[0]}\n`));
      if (request.commandArgs[0] === "fail") throw new BuildError("builder failed with exit code 3", "last words\n");
      const contents = Buffer.from(request.commandArgs[0]);
      const digest = await putBlob(this.store.blobs, contents);
      return request.outputs.map(() => ({ node: { kind: "file", name: "", digest, size: contents.length, executable: false }, needles: [] }));
    } finally {
      this.running--;
    }
  }

  async close(): Promise<void> {}
}

function fakeGlue(store: Store): BuildGlue {
  return {
    async buildRequest(_drvPath, drv) {
      return create(BuildRequestSchema, { commandArgs: [drv.builder], outputs: [...drv.outputs.values()].map((o) => (o as { path: string }).path.slice(1)).sort() });
    },
    async storeOutputs(drvPath, _drv, request, outputs) {
      for (const [i, output] of outputs.entries()) {
        const { narSize, narSha256 } = await calculateNar(output.node, store.blobs, store.directories);
        await store.pathInfos.put({ storePath: parseStorePath(`/${request.outputs[i]}`), node: output.node, references: [], narSize, narSha256, signatures: [], deriver: parseStorePath(drvPath) });
      }
    },
  };
}

interface Run {
  driver: BuildDriver;
  builder: FakeBuilder;
  log: string[];
}

function start(store: Store, options: Partial<DriverOptions> = {}): Run {
  const builder = new FakeBuilder(store);
  const log: string[] = [];
  const reporter: DriverReporter = {
    buildStarted: (drvPath) => log.push(`start ${drvPath}`),
    buildLog: (_drvPath, chunk) => log.push(`log ${Buffer.from(chunk).toString().trim()}`),
    buildFinished: (drvPath, failure) => log.push(failure ? `failed ${drvPath}: ${failure.message} | ${failure.logTail.trim()}` : `done ${drvPath}`),
  };
  const driver = new BuildDriver({ store, builder, glue: fakeGlue(store), reporter }, { maxJobs: 2, keepGoing: false, speculate: true, dryRun: false, storeDir: STORE_DIR, ...options });
  return { driver, builder, log };
}

/** Streams the derivations (in the given order) as the evaluation worker would, then the wanted ones. */
function evaluate(world: World, driver: BuildDriver, order: string[], wanted: string[]): void {
  for (const drvPath of order) driver.pendingPath(drvPath, { kind: "derivation", drv: world.drvs.get(drvPath)! });
  driver.evaluationFinished(wanted.map((drvPath) => ({ drvPath, outputs: ["out"] })));
}

async function has(store: Store, path: string): Promise<boolean> {
  return (await store.pathInfos.get(parseStorePath(path).digest)) !== undefined;
}

describe("build driver", () => {
  test("a diamond: .drv files written, both sides built at once under -j2, outputs stored; a second run builds nothing", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const base = world.make("base", "base");
    const left = world.make("left", "left", [base]);
    const right = world.make("right", "right", [base]);
    const top = world.make("top", "top", [left, right]);
    const first = start(store);
    evaluate(world, first.driver, [base, left, right, top], [top]);
    const outcome = await first.driver.outcome;
    assert.equal(outcome.success, true);
    assert.deepEqual(new Set(outcome.built), new Set([base, left, right, top]));
    assert.equal(first.builder.mostAtOnce, 2);
    for (const drvPath of [base, left, right, top]) {
      const info = await store.pathInfos.get(parseStorePath(drvPath).digest);
      assert.ok(info && info.node.kind === "file", `${drvPath} written`);
      assert.deepEqual(await readBlob(store.blobs, info.node.digest), Buffer.from(printAterm(world.drvs.get(drvPath)!)));
      assert.ok(await has(store, world.outPath(drvPath)));
    }
    assert.ok(first.log.includes(`log building top`));

    const second = start(store);
    evaluate(world, second.driver, [base, left, right, top], [top]);
    assert.deepEqual((await second.driver.outcome).built, []);
    assert.equal(second.builder.requests.length, 0);
  });

  test("-j1 builds one at a time", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const leaves = ["a", "b", "c"].map((n) => world.make(n, n));
    const top = world.make("top", "top", leaves);
    const run = start(store, { maxJobs: 1 });
    evaluate(world, run.driver, [...leaves, top], [top]);
    assert.equal((await run.driver.outcome).success, true);
    assert.equal(run.builder.mostAtOnce, 1);
  });

  test("a failure: reported with its log tail; dependents skipped; without keep-going unrelated builds not started", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const bad = world.make("bad", "fail");
    const above = world.make("above", "above", [bad]);
    const mid = world.make("mid", "mid");
    const other = world.make("other", "other", [mid]);
    const run = start(store, { maxJobs: 1, speculate: false });
    evaluate(world, run.driver, [bad, above, mid, other], [above, other]);
    const outcome = await run.driver.outcome;
    assert.equal(outcome.success, false);
    assert.deepEqual(outcome.failed, [{ drvPath: bad, failure: { message: `builder for '${bad}' failed with exit code 3`, kind: "failed" } }]);
    assert.deepEqual(outcome.skipped, [{ drvPath: above, failedInputs: [bad] }]);
    assert.deepEqual(outcome.notStarted, [mid, other]);
    assert.ok(run.log.includes(`failed ${bad}: builder for '${bad}' failed with exit code 3 | last words`), run.log.join("\n"));
    assert.equal(await has(store, world.outPath(bad)), false);
  });

  test("with keep-going everything not depending on the failure is built", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const bad = world.make("bad", "fail");
    const above = world.make("above", "above", [bad]);
    const other = world.make("other", "other");
    const run = start(store, { maxJobs: 1, keepGoing: true, speculate: false });
    evaluate(world, run.driver, [bad, above, other], [above, other]);
    const outcome = await run.driver.outcome;
    assert.equal(outcome.success, false);
    assert.deepEqual(outcome.built, [other]);
    assert.ok(await has(store, world.outPath(other)));
  });

  test("dry run: nothing written, nothing built; what would be built is listed inputs first", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const a = world.make("a", "a");
    const b = world.make("b", "b", [a]);
    const run = start(store, { dryRun: true, speculate: false });
    evaluate(world, run.driver, [a, b], [b]);
    const outcome = await run.driver.outcome;
    assert.deepEqual(outcome.wouldBuild, [a, b]);
    assert.equal(run.builder.requests.length, 0);
    assert.equal(await has(store, a), false);
  });

  test("a wanted derivation the evaluation did not send is read from the store", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const old = world.make("old", "old");
    await writePendingPath(store, old, { kind: "derivation", drv: world.drvs.get(old)! });
    const run = start(store);
    evaluate(world, run.driver, [], [old]);
    assert.deepEqual((await run.driver.outcome).built, [old]);
  });

  test("a wanted derivation that is nowhere fails as not valid", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const ghost = world.make("ghost", "ghost");
    const run = start(store);
    evaluate(world, run.driver, [], [ghost]);
    const outcome = await run.driver.outcome;
    assert.deepEqual(outcome.failed, [{ drvPath: ghost, failure: { message: `derivation '${ghost}' is not in the store`, kind: "failed" } }]);
  });

  test("realise (import from derivation) resolves once the outputs are stored, while evaluation runs", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const gen = world.make("gen", "gen");
    const bad = world.make("bad", "fail");
    const run = start(store, { speculate: false, keepGoing: true });
    run.driver.pendingPath(gen, { kind: "derivation", drv: world.drvs.get(gen)! });
    run.driver.pendingPath(bad, { kind: "derivation", drv: world.drvs.get(bad)! });
    await run.driver.realise(gen);
    assert.ok(await has(store, world.outPath(gen)));
    await assert.rejects(run.driver.realise(bad), (err: Error) => err instanceof BuildError && err.message.includes("exit code 3"));
    run.driver.evaluationFailed("import failed");
    const outcome = await run.driver.outcome;
    assert.equal(outcome.evaluationError, "import failed");
  });

  test("a failed evaluation aborts the builds under way, quietly", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const slow = world.make("slow", "slow");
    const run = start(store);
    run.driver.pendingPath(slow, { kind: "derivation", drv: world.drvs.get(slow)! });
    while (run.builder.running === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    run.driver.evaluationFailed("undefined variable 'x'");
    const outcome = await run.driver.outcome;
    assert.equal(outcome.success, false);
    assert.equal(outcome.evaluationError, "undefined variable 'x'");
    assert.deepEqual(run.log, [`start ${slow}`]);
  });

  test("a failing store ends the run with its error", async () => {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const a = world.make("a", "a");
    const broken: Store = { ...store, pathInfos: { ...store.pathInfos, get: async () => Promise.reject(new CastoreError("unavailable", "store is down")), put: store.pathInfos.put.bind(store.pathInfos), list: store.pathInfos.list.bind(store.pathInfos), close: async () => {} } };
    const run = start(broken, { dryRun: true });
    evaluate(world, run.driver, [a], [a]);
    await assert.rejects(run.driver.outcome, /store is down/);
  });

  /** A dry run that is given a derivation whose output is floating (it cannot be built yet). */
  async function startWithFloating(): Promise<{ run: Run; a: string }> {
    const store = await openMemoryStore(new URL("memory://"));
    const world = new World();
    const a = world.make("a", "a");
    const floating: Derivation = { ...world.drvs.get(a)!, outputs: new Map([["out", { kind: "floating", method: "recursive", hashAlgo: "sha256" }]]) };
    const run = start(store, { dryRun: true });
    run.driver.pendingPath(a, { kind: "derivation", drv: floating });
    return { run, a };
  }

  test("derivations with outputs that cannot be built yet (floating) are refused with a clear error", async () => {
    const { run, a } = await startWithFloating();
    run.driver.evaluationFinished([{ drvPath: a, outputs: ["out"] }]);
    await assert.rejects(run.driver.outcome, /its output 'out' is floating/);
  });

  test("a run that fails while evaluation still goes on does not end the process before its outcome is awaited", async () => {
    const { run, a } = await startWithFloating();
    // The evaluation is still running: several turns of the event loop pass with nobody awaiting.
    // An unhandled rejection here would fail this test (and end `tvix build` with a stack trace).
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    run.driver.evaluationFinished([{ drvPath: a, outputs: ["out"] }]);
    await assert.rejects(run.driver.outcome, /its output 'out' is floating/);
  });
});

describe("build failures in Nix's words", () => {
  const world = new World();
  const drvPath = world.make("x", "x");
  const drv = world.drvs.get(drvPath)!;
  const fixed: Derivation = { ...drv, outputs: new Map([["out", { kind: "fixed", path: "/nix/store/00000000000000000000000000000000-x", hash: { method: "flat", hash: undefined as never } }]]) };

  test("exit codes, missing outputs, timeouts, hash mismatches, anything else", () => {
    assert.deepEqual(buildFailure(drvPath, drv, new BuildError("build failed with exit code 3")), { message: `builder for '${drvPath}' failed with exit code 3`, kind: "failed" });
    assert.deepEqual(buildFailure(drvPath, drv, new BuildError("builder failed to produce output path '/nix/store/y'")), { message: `builder for '${drvPath}' failed to produce output path '/nix/store/y'`, kind: "failed" });
    assert.deepEqual(buildFailure(drvPath, drv, new BuildError("build timed out after 5 seconds of silence")), { message: `building of '${drvPath}' timed out after 5 seconds of silence`, kind: "timedOut" });
    const mismatch = `hash mismatch in fixed-output derivation '${drvPath}':\n  specified: sha256-A\n     got:    sha256-B`;
    assert.deepEqual(buildFailure(drvPath, fixed, new Error(mismatch)), { message: mismatch, kind: "hashMismatch" });
    assert.deepEqual(buildFailure(drvPath, drv, new Error("no space left")), { message: `builder for '${drvPath}' failed: no space left`, kind: "failed" });
  });

  test("a fixed-output derivation's failed build is transient, as in Nix (exit code 1)", () => {
    assert.equal(buildFailure(drvPath, fixed, new BuildError("build failed with exit code 1")).kind, "transient");
  });
});
