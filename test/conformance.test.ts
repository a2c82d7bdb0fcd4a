// The Nix language conformance suites (../shared/conformance) through `tvix eval`/`tvix parse`,
// as the harness runs them: every case real Nix 2.8 passes must pass, except the differences
// listed with their reasons in docs/conformance.md — and each listed case must really still
// fail, so the list stays true.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CONFORMANCE = join(ROOT, "../shared/conformance");
const SUITES = ["nix-lang-2.8", "nix-lang"];
const TVIX = `${process.execPath} ${join(ROOT, "bin/tvix.js")}`;

/** `suite:case` ids listed in docs/conformance.md as known differences from Nix 2.8. */
function knownDifferences(): Set<string> {
  const text = readFileSync(join(ROOT, "docs/conformance.md"), "utf8");
  return new Set([...text.matchAll(/^\| `([^`]+:[^`]+)` \|/gm)].map((m) => m[1]));
}

const haveSuites = existsSync(CONFORMANCE);

for (const suite of SUITES) {
  test(`conformance suite ${suite}: every case Nix 2.8 passes, but the documented differences`, { skip: !haveSuites && "../shared/conformance is not beside this checkout" }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "tvix-conformance-"));
    try {
      const report = join(dir, "report.tsv");
      await promisify(execFile)(
        join(CONFORMANCE, "run"),
        ["--suite", suite, "--cases", `${suite}/EXPECTED-WITH-NIX-2.8.txt`, "--jobs", "2", "--quiet", "--report", report, "--", "adapters/tvix"],
        { cwd: CONFORMANCE, env: { ...process.env, TVIX }, maxBuffer: 1 << 26 },
      );
      const results = readFileSync(report, "utf8").trim().split("\n").map((line) => line.split("\t"));
      const known = knownDifferences();
      const unexpected = results.filter(([status, id]) => status !== "PASS" && !known.has(`${suite}:${id}`));
      const fixed = results.filter(([status, id]) => status === "PASS" && known.has(`${suite}:${id}`));
      assert.deepEqual(unexpected.map(([, id, , reason]) => `${id}: ${reason}`), [], "cases that fail but are not documented");
      assert.deepEqual(fixed.map(([, id]) => id), [], "documented differences that now pass: remove them from docs/conformance.md");
      assert.ok(results.length > 100, `only ${results.length} cases ran`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
