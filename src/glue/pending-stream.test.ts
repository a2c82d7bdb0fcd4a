import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultEvalSetup } from "../cli/eval-args.ts";
import { evaluateInWorker } from "../eval/run-in-worker.ts";
import { isPendingMessage, pendingFromMessage } from "./pending-stream.ts";
import type { PendingPath } from "./pending-store.ts";

test("the evaluation worker streams the paths it adds, inputs first, before its result", async () => {
  const received: [string, PendingPath][] = [];
  const result = await evaluateInWorker(
    {
      ...defaultEvalSetup(),
      streamStorePaths: true,
      inputs: [`let src = builtins.toFile "src" "hello"; dep = derivation { name = "dep"; system = "x"; builder = "/b"; inherit src; };
        in derivation { name = "top"; system = "x"; builder = "/b"; dep = dep; }`],
      expressions: true,
      attrPaths: [],
      strict: false,
      output: "derivations",
      location: true,
    },
    (message) => {
      assert.ok(isPendingMessage(message));
      received.push(pendingFromMessage(message));
    },
  );
  assert.equal(result.exitCode, 0, result.stderr);
  const [top] = result.stdout.trim().split("\n");
  assert.match(top, /^\/nix\/store\/[0-9a-z]{32}-top\.drv$/);
  assert.deepEqual(received.map(([path, entry]) => [path.replace(/^.*?-/, ""), entry.kind]), [
    ["src", "text"],
    ["dep.drv", "derivation"],
    ["top.drv", "derivation"],
  ]);
  const [, topEntry] = received[2];
  assert.equal(received[2][0], top);
  assert.ok(topEntry.kind === "derivation" && topEntry.drv.inputDrvs.has(received[1][0]));
  assert.equal(result.stderr, "warning: you did not specify '--add-root'; the result might be removed by the garbage collector\n");
});
