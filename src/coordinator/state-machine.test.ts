import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type CoordinatorAction, type CoordinatorEvent, CoordinatorMachine, type CoordinatorOptions, type DerivationKnown, type Outcome } from "./state-machine.ts";

const drvPath = (name: string): string => `/nix/store/${name}.drv`;
const outPath = (name: string, output = "out"): string => `/nix/store/${name}-${output}`;

/** A derivation named `name` using the `out` of each input (or the outputs given as `name:out1,out2`). */
function known(name: string, inputs: string[] = [], outputs: string[] = ["out"]): DerivationKnown {
  const inputDrvs: Record<string, string[]> = {};
  for (const input of inputs) {
    const [inputName, used = "out"] = input.split(":");
    inputDrvs[drvPath(inputName)] = used.split(",");
  }
  return { type: "derivationKnown", drvPath: drvPath(name), outputs: Object.fromEntries(outputs.map((o) => [o, outPath(name, o)])), inputDrvs };
}

const finished = (...names: string[]): CoordinatorEvent => ({ type: "evaluationFinished", wanted: names.map((n) => ({ drvPath: drvPath(n), outputs: ["out"] })) });
const presence = (name: string, present: boolean): CoordinatorEvent => ({ type: "outputsPresence", drvPath: drvPath(name), present });
const succeeded = (name: string): CoordinatorEvent => ({ type: "buildSucceeded", drvPath: drvPath(name) });
const failedBuild = (name: string, kind: "failed" | "timedOut" | "hashMismatch" | "transient" = "failed"): CoordinatorEvent => ({
  type: "buildFailed",
  drvPath: drvPath(name),
  failure: { message: `builder for '${drvPath(name)}' failed with exit code 1`, kind },
});

function machine(options: Partial<CoordinatorOptions> = {}): CoordinatorMachine {
  return new CoordinatorMachine({ maxJobs: 4, keepGoing: false, speculate: false, dryRun: false, ...options });
}

/** The actions of a list of events, in short form: `query a`, `build a`, `load a`, `realise 1 ok`, `finished`. */
function feed(m: CoordinatorMachine, ...events: CoordinatorEvent[]): string[] {
  return events.flatMap((e) => m.handle(e)).map(short);
}

function short(action: CoordinatorAction): string {
  const name = (p: string) => p.slice("/nix/store/".length, -".drv".length);
  switch (action.type) {
    case "queryStore":
      return `query ${name(action.drvPath)}`;
    case "loadDerivation":
      return `load ${name(action.drvPath)}`;
    case "startBuild":
      return `build ${name(action.drvPath)}`;
    case "realiseDone":
      return `realise ${action.requestId} ${action.ok ? "ok" : `failed: ${action.message}`}`;
    case "finished":
      return "finished";
  }
}

function outcomeOf(m: CoordinatorMachine, ...events: CoordinatorEvent[]): Outcome {
  const actions = events.flatMap((e) => m.handle(e));
  const last = actions.at(-1);
  assert.equal(last?.type, "finished", `no finished action: ${actions.map(short).join(", ")}`);
  return (last as { outcome: Outcome }).outcome;
}

describe("coordinator state machine: basics", () => {
  test("a single derivation: query, build, finish", () => {
    const m = machine();
    assert.deepEqual(feed(m, known("a")), []);
    assert.deepEqual(feed(m, finished("a")), ["query a"]);
    assert.deepEqual(feed(m, presence("a", false)), ["build a"]);
    const actions = m.handle(succeeded("a"));
    assert.deepEqual(actions.map(short), ["finished"]);
    assert.deepEqual((actions[0] as { outcome: Outcome }).outcome, { success: true, failed: [], skipped: [], notStarted: [], wouldBuild: [], built: [drvPath("a")] });
    assert.ok(m.finished);
  });

  test("outputs already present: nothing is built, inputs are not even queried", () => {
    const m = machine();
    feed(m, known("lib"), known("app", ["lib"]));
    assert.deepEqual(feed(m, finished("app")), ["query app"]);
    const outcome = outcomeOf(m, presence("app", true));
    assert.equal(outcome.success, true);
    assert.deepEqual(outcome.built, []);
  });

  test("queries name every output of the derivation", () => {
    const m = machine();
    m.handle(known("multi", [], ["dev", "out"]));
    const [query] = m.handle(finished("multi"));
    assert.deepEqual(query, { type: "queryStore", drvPath: drvPath("multi"), outputPaths: [outPath("multi", "dev"), outPath("multi", "out")] });
  });

  test("a chain builds bottom-up, one at a time", () => {
    const m = machine();
    feed(m, known("a"), known("b", ["a"]), known("c", ["b"]));
    assert.deepEqual(feed(m, finished("c")), ["query c"]);
    assert.deepEqual(feed(m, presence("c", false)), ["query b"]);
    assert.deepEqual(feed(m, presence("b", false)), ["query a"]);
    assert.deepEqual(feed(m, presence("a", false)), ["build a"]);
    assert.deepEqual(feed(m, succeeded("a")), ["build b"]);
    assert.deepEqual(feed(m, succeeded("b")), ["build c"]);
    assert.deepEqual(outcomeOf(m, succeeded("c")).built, ["a", "b", "c"].map(drvPath));
  });

  test("a chain whose middle is present: only the top is built", () => {
    const m = machine();
    feed(m, known("a"), known("b", ["a"]), known("c", ["b"]), finished("c"));
    assert.deepEqual(feed(m, presence("c", false)), ["query b"]);
    assert.deepEqual(feed(m, presence("b", true)), ["build c"]);
    assert.deepEqual(outcomeOf(m, succeeded("c")).built, [drvPath("c")]);
  });

  test("a diamond: the shared input is built once, both sides in parallel, the top last", () => {
    const m = machine();
    feed(m, known("base"), known("left", ["base"]), known("right", ["base"]), known("top", ["left", "right"]), finished("top"));
    assert.deepEqual(feed(m, presence("top", false)), ["query left", "query right"]);
    assert.deepEqual(feed(m, presence("left", false)), ["query base"]);
    assert.deepEqual(feed(m, presence("right", false)), []);
    assert.deepEqual(feed(m, presence("base", false)), ["build base"]);
    assert.deepEqual(feed(m, succeeded("base")), ["build left", "build right"]);
    assert.deepEqual(feed(m, succeeded("right")), []);
    assert.deepEqual(feed(m, succeeded("left")), ["build top"]);
    assert.equal(outcomeOf(m, succeeded("top")).success, true);
  });

  test("several wanted derivations; one wanted twice", () => {
    const m = machine();
    feed(m, known("x"), known("y"));
    assert.deepEqual(feed(m, finished("x", "y", "x")), ["query x", "query y"]);
    assert.deepEqual(feed(m, presence("x", false), presence("y", true)), ["build x"]);
    assert.equal(outcomeOf(m, succeeded("x")).success, true);
  });

  test("an evaluation with nothing wanted finishes at once", () => {
    const m = machine();
    assert.deepEqual(feed(m, finished()), ["finished"]);
  });

  test("maxJobs must be a positive integer", () => {
    assert.throws(() => machine({ maxJobs: 0 }), /maxJobs/);
    assert.throws(() => machine({ maxJobs: 1.5 }), /maxJobs/);
  });

  test("protocol errors: unasked presence, result of a build not running, events after the end", () => {
    const m = machine();
    assert.throws(() => m.handle(presence("a", true)), /not queried/);
    assert.throws(() => m.handle(succeeded("a")), /not being built/);
    m.handle(finished());
    assert.throws(() => m.handle(known("a")), /after the end/);
    const m2 = machine();
    m2.handle(finished("a"));
    assert.throws(() => m2.handle(finished("a")), /twice/);
  });
});

describe("coordinator state machine: arrival order", () => {
  test("a derivation arriving before its inputs waits for them", () => {
    const m = machine({ speculate: true });
    assert.deepEqual(feed(m, known("top", ["dep"])), ["query top"]);
    assert.deepEqual(feed(m, presence("top", false)), []);
    assert.deepEqual(feed(m, known("dep")), ["query dep"]);
    assert.deepEqual(feed(m, presence("dep", false)), ["build dep"]);
    assert.deepEqual(feed(m, succeeded("dep")), ["build top"]);
    assert.deepEqual(feed(m, finished("top")), []);
    assert.deepEqual(feed(m, succeeded("top")), ["finished"]);
  });

  test("speculation: builds start while evaluation runs, the outcome waits for the evaluation", () => {
    const m = machine({ speculate: true });
    assert.deepEqual(feed(m, known("a")), ["query a"]);
    assert.deepEqual(feed(m, presence("a", false)), ["build a"]);
    assert.deepEqual(feed(m, known("b", ["a"])), ["query b"]);
    assert.deepEqual(feed(m, presence("b", false)), []);
    assert.deepEqual(feed(m, succeeded("a")), ["build b"]);
    assert.deepEqual(feed(m, succeeded("b")), []);
    const outcome = outcomeOf(m, finished("b"));
    assert.equal(outcome.success, true);
    assert.deepEqual(outcome.built, [drvPath("a"), drvPath("b")]);
  });

  test("without speculation nothing happens before the evaluation's result", () => {
    const m = machine({ speculate: false });
    assert.deepEqual(feed(m, known("a"), known("b", ["a"])), []);
    assert.deepEqual(feed(m, finished("b")), ["query b"]);
  });

  test("speculative derivations not wanted in the end are not started after the evaluation", () => {
    const m = machine({ speculate: true, maxJobs: 1 });
    feed(m, known("a"), known("unused"), presence("a", false));
    assert.deepEqual(feed(m, presence("unused", false)), []); // one job: a runs
    assert.deepEqual(feed(m, finished("a")), []);
    const outcome = outcomeOf(m, succeeded("a"));
    assert.deepEqual(outcome.built, [drvPath("a")]);
    assert.deepEqual(outcome.notStarted, []);
  });

  test("a speculative build still running when evaluation ends is waited for, and does not decide the outcome", () => {
    const m = machine({ speculate: true });
    feed(m, known("unused"), presence("unused", false), known("a"), presence("a", false));
    assert.deepEqual(feed(m, finished("a"), succeeded("a")), []);
    const outcome = outcomeOf(m, failedBuild("unused"));
    assert.equal(outcome.success, true);
    assert.deepEqual(outcome.failed, []);
  });

  test("a needed derivation the evaluator never sent is loaded after the evaluation", () => {
    const m = machine();
    feed(m, known("top", ["old"]), finished("top"));
    assert.deepEqual(feed(m, presence("top", false)), ["load old"]);
    assert.deepEqual(feed(m, known("old")), ["query old"]);
    assert.deepEqual(feed(m, presence("old", true)), ["build top"]);
    assert.equal(outcomeOf(m, succeeded("top")).success, true);
  });

  test("a needed derivation that cannot be loaded fails what depends on it", () => {
    const m = machine();
    feed(m, known("top", ["old"]), finished("top"), presence("top", false));
    const outcome = outcomeOf(m, { type: "derivationUnavailable", drvPath: drvPath("old"), message: "path 'old.drv' is not valid" });
    assert.equal(outcome.success, false);
    assert.deepEqual(outcome.failed, [{ drvPath: drvPath("old"), failure: { message: "path 'old.drv' is not valid", kind: "failed" } }]);
    assert.deepEqual(outcome.skipped, [{ drvPath: drvPath("top"), failedInputs: [drvPath("old")] }]);
  });

  test("a wanted derivation never sent is loaded too", () => {
    const m = machine();
    assert.deepEqual(feed(m, finished("ghost")), ["load ghost"]);
    assert.deepEqual(feed(m, known("ghost")), ["query ghost"]);
  });

  test("a derivation sent twice counts once", () => {
    const m = machine({ speculate: true });
    assert.deepEqual(feed(m, known("a"), known("a")), ["query a"]);
  });
});

describe("coordinator state machine: -j", () => {
  test("never more than maxJobs builds at once; the next starts when one ends", () => {
    const m = machine({ maxJobs: 2 });
    const names = ["p", "q", "r", "s", "t"];
    feed(m, ...names.map((n) => known(n)), known("all", names));
    feed(m, finished("all"), presence("all", false));
    assert.deepEqual(feed(m, ...names.map((n) => presence(n, false))), ["build p", "build q"]);
    assert.deepEqual(feed(m, succeeded("q")), ["build r"]);
    assert.deepEqual(feed(m, succeeded("p")), ["build s"]);
    assert.deepEqual(feed(m, succeeded("r"), succeeded("s")), ["build t"]);
    assert.deepEqual(feed(m, succeeded("t")), ["build all"]);
  });

  test("needed builds go before speculative ones", () => {
    const m = machine({ maxJobs: 1, speculate: true });
    feed(m, known("busy"), presence("busy", false)); // runs
    feed(m, known("maybe"), presence("maybe", false), known("sure"), presence("sure", false));
    assert.deepEqual(feed(m, { type: "realiseRequested", requestId: 1, drvPath: drvPath("sure") }), []);
    assert.deepEqual(feed(m, succeeded("busy")), ["build sure"]);
    assert.deepEqual(feed(m, succeeded("sure")), ["realise 1 ok", "build maybe"]);
  });
});

describe("coordinator state machine: failures", () => {
  /** base → left, right → top, and an unrelated `other`; one job; left is about to fail. */
  function diamondWithFailingLeft(keepGoing: boolean): CoordinatorMachine {
    const m = machine({ keepGoing, maxJobs: 1 });
    feed(m, known("base"), known("left", ["base"]), known("right", ["base"]), known("other"), known("top", ["left", "right"]), finished("top", "other"));
    assert.deepEqual(feed(m, presence("top", false), presence("left", false), presence("right", false), presence("base", false)), ["query left", "query right", "query base", "build base"]);
    assert.deepEqual(feed(m, succeeded("base")), ["build left"]);
    assert.deepEqual(feed(m, presence("other", false)), []);
    return m;
  }

  test("without keep-going: the first failure stops new builds; the running one finishes", () => {
    const m = machine({ maxJobs: 2 });
    feed(m, known("bad"), known("slow"), known("later"), known("top", ["bad", "slow"]), finished("top", "later"));
    assert.deepEqual(feed(m, presence("top", false), presence("later", false)), ["query bad", "query slow", "build later"]);
    assert.deepEqual(feed(m, presence("bad", false), presence("slow", false)), ["build bad"]);
    assert.deepEqual(feed(m, succeeded("later")), ["build slow"]);
    assert.deepEqual(feed(m, failedBuild("bad")), []);
    const outcome = outcomeOf(m, succeeded("slow"));
    assert.equal(outcome.success, false);
    assert.deepEqual(outcome.failed.map((f) => f.drvPath), [drvPath("bad")]);
    assert.deepEqual(outcome.skipped, [{ drvPath: drvPath("top"), failedInputs: [drvPath("bad")] }]);
    assert.deepEqual(outcome.built, [drvPath("later"), drvPath("slow")]);
  });

  test("without keep-going, builds not yet started are reported as not started", () => {
    const m = diamondWithFailingLeft(false);
    const outcome = outcomeOf(m, failedBuild("left"));
    assert.equal(outcome.success, false);
    assert.deepEqual(outcome.skipped, [{ drvPath: drvPath("top"), failedInputs: [drvPath("left")] }]);
    assert.deepEqual(outcome.notStarted.sort(), [drvPath("other"), drvPath("right")].sort());
  });

  test("with keep-going: everything not depending on the failure is built", () => {
    const m = diamondWithFailingLeft(true);
    assert.deepEqual(feed(m, failedBuild("left")), ["build right"]);
    assert.deepEqual(feed(m, succeeded("right")), ["build other"]);
    const outcome = outcomeOf(m, succeeded("other"));
    assert.equal(outcome.success, false);
    assert.deepEqual(outcome.failed.map((f) => f.drvPath), [drvPath("left")]);
    assert.deepEqual(outcome.skipped, [{ drvPath: drvPath("top"), failedInputs: [drvPath("left")] }]);
    assert.deepEqual(outcome.notStarted, []);
    assert.deepEqual(outcome.built, ["base", "right", "other"].map(drvPath));
  });

  test("a failure skips the whole chain above it, each naming its failed direct inputs", () => {
    const m = machine({ keepGoing: true });
    feed(m, known("a"), known("b", ["a"]), known("c", ["b"]), known("d", ["c", "a"]), finished("d"));
    feed(m, presence("d", false), presence("c", false), presence("a", false), presence("b", false));
    const outcome = outcomeOf(m, failedBuild("a"));
    assert.deepEqual(
      outcome.skipped.sort((x, y) => x.drvPath.localeCompare(y.drvPath)),
      [
        { drvPath: drvPath("b"), failedInputs: [drvPath("a")] },
        { drvPath: drvPath("c"), failedInputs: [drvPath("b")] },
        { drvPath: drvPath("d"), failedInputs: [drvPath("c"), drvPath("a")] },
      ],
    );
  });

  test("the failure's kind is kept for the exit code", () => {
    const m = machine();
    feed(m, known("fod"), finished("fod"), presence("fod", false));
    assert.deepEqual(outcomeOf(m, failedBuild("fod", "hashMismatch")).failed[0].failure.kind, "hashMismatch");
  });

  test("a speculative failure that turns out needed stops the build", () => {
    const m = machine({ speculate: true, maxJobs: 1 });
    feed(m, known("bad"), presence("bad", false), known("x"), presence("x", false));
    assert.deepEqual(feed(m, failedBuild("bad")), ["build x"]); // not known to be needed yet
    feed(m, known("y"), presence("y", false));
    assert.deepEqual(feed(m, finished("bad", "y")), []); // stopped: y is not started
    const outcome = outcomeOf(m, succeeded("x"));
    assert.equal(outcome.success, false);
    assert.deepEqual(outcome.notStarted, [drvPath("y")]);
  });

  test("an input failing before its dependent's presence is known skips the dependent once known missing", () => {
    const m = machine({ speculate: true, keepGoing: true });
    feed(m, known("bad"), presence("bad", false), failedBuild("bad"));
    feed(m, known("top", ["bad"]));
    const outcome = outcomeOf(m, presence("top", false), finished("top"));
    assert.deepEqual(outcome.skipped, [{ drvPath: drvPath("top"), failedInputs: [drvPath("bad")] }]);
  });

  test("a present derivation does not suffer from a failed input", () => {
    const m = machine({ speculate: true });
    feed(m, known("bad"), presence("bad", false), failedBuild("bad"), known("top", ["bad"]));
    const outcome = outcomeOf(m, presence("top", true), finished("top"));
    assert.equal(outcome.success, true);
  });
});

describe("coordinator state machine: evaluation failure", () => {
  test("evaluation fails: nothing new starts, running builds finish, the outcome carries the error", () => {
    const m = machine({ speculate: true });
    feed(m, known("a"), presence("a", false), known("b"));
    assert.deepEqual(feed(m, { type: "evaluationFailed", message: "undefined variable 'x'" }), []);
    assert.deepEqual(feed(m, presence("b", false)), []);
    const outcome = outcomeOf(m, succeeded("a"));
    assert.equal(outcome.success, false);
    assert.equal(outcome.evaluationError, "undefined variable 'x'");
    assert.deepEqual(outcome.built, [drvPath("a")]);
  });

  test("evaluation fails with nothing under way: finished at once", () => {
    const m = machine();
    assert.deepEqual(feed(m, known("a"), { type: "evaluationFailed", message: "boom" }), ["finished"]);
  });
});

describe("coordinator state machine: import from derivation", () => {
  test("the evaluator waits for a realisation: built, then answered, evaluation goes on", () => {
    const m = machine();
    feed(m, known("gen"), known("gen2", ["gen"]));
    assert.deepEqual(feed(m, { type: "realiseRequested", requestId: 7, drvPath: drvPath("gen2") }), ["query gen2"]);
    assert.deepEqual(feed(m, presence("gen2", false)), ["query gen"]);
    assert.deepEqual(feed(m, presence("gen", false)), ["build gen"]);
    assert.deepEqual(feed(m, succeeded("gen")), ["build gen2"]);
    assert.deepEqual(feed(m, succeeded("gen2")), ["realise 7 ok"]);
    assert.deepEqual(feed(m, known("final", ["gen2"]), finished("final")), ["query final"]);
  });

  test("a realisation of present outputs is answered after the query", () => {
    const m = machine();
    feed(m, known("gen"));
    assert.deepEqual(feed(m, { type: "realiseRequested", requestId: 1, drvPath: drvPath("gen") }, presence("gen", true)), ["query gen", "realise 1 ok"]);
    assert.deepEqual(feed(m, { type: "realiseRequested", requestId: 2, drvPath: drvPath("gen") }), ["realise 2 ok"]);
  });

  test("a failed realisation is answered with the failure; so is one depending on a failure", () => {
    const m = machine({ keepGoing: true });
    feed(m, known("bad"), known("above", ["bad"]));
    feed(m, { type: "realiseRequested", requestId: 1, drvPath: drvPath("above") }, { type: "realiseRequested", requestId: 2, drvPath: drvPath("bad") });
    feed(m, presence("above", false), presence("bad", false));
    assert.deepEqual(feed(m, failedBuild("bad")), [
      `realise 1 failed: 1 dependencies of derivation '${drvPath("above")}' failed to build`,
      `realise 2 failed: builder for '${drvPath("bad")}' failed with exit code 1`,
    ]);
    assert.deepEqual(feed(m, { type: "evaluationFailed", message: "import failed" }), ["finished"]);
  });

  test("after a stop, a realisation that cannot progress is refused rather than left waiting", () => {
    const m = machine({ maxJobs: 1 });
    feed(m, known("bad"), known("gen"));
    feed(m, { type: "realiseRequested", requestId: 1, drvPath: drvPath("bad") }, presence("bad", false));
    feed(m, { type: "realiseRequested", requestId: 2, drvPath: drvPath("gen") });
    assert.deepEqual(feed(m, presence("gen", false)), []); // bad is running, gen waits for the job
    const actions = feed(m, failedBuild("bad"));
    assert.ok(actions[0].startsWith("realise 1 failed"));
    assert.match(actions[1], /^realise 2 failed: build of .* was not started/);
  });

  test("a realisation of a derivation the evaluator did not post (an existing .drv) loads it", () => {
    const m = machine();
    assert.deepEqual(feed(m, { type: "realiseRequested", requestId: 3, drvPath: drvPath("old") }), ["load old"]);
  });

  test("dry run: a realisation that needs a build is refused", () => {
    const m = machine({ dryRun: true });
    feed(m, known("gen"), { type: "realiseRequested", requestId: 1, drvPath: drvPath("gen") });
    assert.deepEqual(feed(m, presence("gen", false)), [`realise 1 failed: cannot build '${drvPath("gen")}' during evaluation: this is a dry run`]);
  });
});

describe("coordinator state machine: dry run", () => {
  test("lists what would be built, inputs first (as nix-build --dry-run), and builds nothing", () => {
    const m = machine({ dryRun: true });
    feed(m, known("ok"), known("bad"), known("dep", ["bad"]), known("top", ["dep", "ok"]), known("present"), known("x", ["present"]));
    const actions = feed(m, finished("top", "x"), presence("top", false), presence("x", false), presence("dep", false), presence("ok", false), presence("bad", false));
    assert.ok(!actions.some((a) => a.startsWith("build")), actions.join(", "));
    const outcome = outcomeOf(m, presence("present", true));
    assert.equal(outcome.success, true);
    // Nix's order: a depth-first walk from each path in path order, inputs (in path order) first.
    assert.deepEqual(outcome.wouldBuild, ["bad", "dep", "ok", "top", "x"].map(drvPath));
  });
});

// Random graphs, random arrival orders, random store contents and failures: the machine's
// invariants hold and its outcome matches one computed directly from the graph.
describe("coordinator state machine: random graphs against a direct computation", () => {
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s * 1664525 + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  for (let seed = 1; seed <= 300; seed++) {
    const keepGoing = seed % 2 === 0;
    const speculate = seed % 3 !== 0;
    const maxJobs = 1 + (seed % 4);
    test(`seed ${seed} (keepGoing ${keepGoing}, speculate ${speculate}, -j${maxJobs})`, () => {
      const random = rng(seed);
      const count = 2 + Math.floor(random() * 14);
      const names = Array.from({ length: count }, (_, i) => `d${i}`);
      const inputs = new Map(names.map((n, i) => [n, names.slice(0, i).filter(() => random() < 0.3)]));
      const present = new Set(names.filter(() => random() < 0.25));
      const failing = new Set(names.filter(() => random() < 0.15));
      const wanted = names.filter(() => random() < 0.3);
      if (wanted.length === 0) wanted.push(names[count - 1]);

      const m = machine({ keepGoing, speculate, maxJobs });
      const arrivals: CoordinatorEvent[] = [...names].sort(() => random() - 0.5).map((n) => known(n, inputs.get(n)));
      arrivals.push(finished(...wanted));
      const replies: CoordinatorEvent[] = [];
      const running = new Set<string>();
      const built = new Set<string>();
      const queried = new Set<string>();
      let outcome: Outcome | undefined;
      const take = (actions: CoordinatorAction[]) => {
        for (const action of actions) {
          assert.equal(outcome, undefined, "an action after finished");
          const name = "drvPath" in action ? action.drvPath.slice(11, -4) : "";
          if (action.type === "queryStore") {
            assert.ok(!queried.has(name), `${name} queried twice`);
            queried.add(name);
            replies.push(presence(name, present.has(name)));
          } else if (action.type === "startBuild") {
            assert.ok(!present.has(name) && !built.has(name) && !running.has(name), `${name} built needlessly`);
            for (const input of inputs.get(name)!) assert.ok(present.has(input) || built.has(input), `${name} started before ${input}`);
            running.add(name);
            assert.ok(running.size <= maxJobs, "too many builds at once");
            replies.push(failing.has(name) ? failedBuild(name) : succeeded(name));
          } else if (action.type === "finished") outcome = action.outcome;
          else assert.fail(`unexpected ${action.type}`);
        }
      };
      // Interleave evaluation events and replies in a random order.
      while (arrivals.length > 0 || replies.length > 0) {
        const fromEval = arrivals.length > 0 && (replies.length === 0 || random() < 0.5);
        const event = fromEval ? arrivals.shift()! : replies.splice(Math.floor(random() * replies.length), 1)[0];
        if (event.type === "buildSucceeded") {
          running.delete(event.drvPath.slice(11, -4));
          built.add(event.drvPath.slice(11, -4));
        } else if (event.type === "buildFailed") running.delete(event.drvPath.slice(11, -4));
        take(m.handle(event));
      }
      assert.ok(outcome, "never finished");

      // Directly: needed = wanted, plus inputs of needed ones whose outputs are missing.
      const needed = new Set<string>();
      const visit = (n: string) => {
        if (needed.has(n)) return;
        needed.add(n);
        if (!present.has(n)) for (const i of inputs.get(n)!) visit(i);
      };
      wanted.forEach(visit);
      const broken = new Map<string, boolean>();
      const isBroken = (n: string): boolean => {
        if (present.has(n)) return false;
        if (!broken.has(n)) broken.set(n, failing.has(n) || inputs.get(n)!.some(isBroken));
        return broken.get(n)!;
      };
      const expectSuccess = wanted.every((w) => !isBroken(w));
      assert.equal(outcome.success, expectSuccess);
      const neededFailed = outcome.failed.map((f) => f.drvPath.slice(11, -4));
      for (const f of neededFailed) assert.ok(failing.has(f) && needed.has(f));
      for (const s of outcome.skipped) assert.ok(needed.has(s.drvPath.slice(11, -4)) && s.failedInputs.length > 0);
      if (keepGoing) {
        // Everything needed that does not depend on a failure was built.
        for (const n of needed) if (!present.has(n) && !isBroken(n)) assert.ok(built.has(n), `${n} not built with keep-going`);
        assert.deepEqual(outcome.notStarted, []);
        assert.equal(new Set([...neededFailed, ...outcome.skipped.map((s) => s.drvPath.slice(11, -4))]).size, [...needed].filter(isBroken).length);
      } else if (expectSuccess) {
        for (const n of needed) if (!present.has(n)) assert.ok(built.has(n), `${n} not built`);
      }
    });
  }
});

describe("coordinator state machine: scale", () => {
  test("20 000 derivations (nixpkgs-sized), every one built, chains deeper than the call stack: no recursion, a few seconds at most", () => {
    const count = 20_000;
    const m = machine({ maxJobs: 8, speculate: true });
    const queue: CoordinatorEvent[] = [];
    const start = performance.now();
    const take = (actions: CoordinatorAction[]) => {
      for (const action of actions) {
        if (action.type === "queryStore") queue.push({ type: "outputsPresence", drvPath: action.drvPath, present: false });
        else if (action.type === "startBuild") queue.push({ type: "buildSucceeded", drvPath: action.drvPath });
      }
    };
    for (let i = 0; i < count; i++) {
      const inputs = [i - 1, i - 7, i - 1000].filter((j) => j >= 0).map((j) => `n${j}`);
      take(m.handle(known(`n${i}`, inputs)));
      // Replies interleave with arrivals, as they do while evaluation runs.
      if (queue.length > 0) take(m.handle(queue.shift()!));
    }
    take(m.handle(finished(`n${count - 1}`)));
    let outcome: Outcome | undefined;
    while (queue.length > 0) {
      for (const action of m.handle(queue.shift()!)) {
        if (action.type === "finished") outcome = action.outcome;
        else take([action]);
      }
    }
    assert.equal(outcome?.success, true);
    assert.equal(outcome.built.length, count);
    assert.ok(performance.now() - start < 3000, `took ${performance.now() - start} ms`);
  });
});
