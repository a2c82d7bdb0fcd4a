import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../store/composition.ts";
import { SeededRandom } from "../../test/support/seeded-random.ts";
import { ingestScanning, NeedleScanner } from "./refscan.ts";

const ALPHABET = "0123456789abcdfghijklmnpqrsvwxyz";

function hashLike(random: SeededRandom): string {
  return Array.from({ length: 32 }, () => ALPHABET[random.int(0, 31)]).join("");
}

/** What a plain search finds: the reference the scanner must agree with. */
function naive(data: Buffer, needles: string[]): number[] {
  return needles.flatMap((needle, index) => (data.includes(needle) ? [index] : []));
}

function scanInChunks(data: Buffer, needles: string[], cuts: number[]): number[] {
  const scanner = new NeedleScanner(needles);
  const stream = scanner.stream();
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    stream.update(data.subarray(from, cut));
    from = cut;
  }
  return scanner.foundIndices();
}

describe("NeedleScanner", () => {
  it("finds a needle split at every possible chunk boundary", () => {
    const random = new SeededRandom(1);
    const needles = [hashLike(random), hashLike(random), hashLike(random)];
    const data = Buffer.concat([Buffer.from("x".repeat(100)), Buffer.from(needles[1]), Buffer.from("y".repeat(50))]);
    for (let cut = 0; cut <= data.length; cut++) assert.deepEqual(scanInChunks(data, needles, [cut]), [1], `cut at ${cut}`);
    // Chunks smaller than a needle: every byte its own chunk.
    assert.deepEqual(scanInChunks(data, needles, Array.from({ length: data.length }, (_, i) => i)), [1]);
  });

  it("agrees with a plain search on random data, needles of mixed lengths, duplicates", () => {
    const random = new SeededRandom(2);
    for (let round = 0; round < 40; round++) {
      const needles = Array.from({ length: 1 + random.int(0, 19) }, () => hashLike(random).slice(0, 1 + random.int(0, 31)));
      needles.push(needles[0]);
      const parts: Buffer[] = [];
      for (let i = 0; i < 30; i++) {
        parts.push(Buffer.from(Array.from({ length: random.int(0, 199) }, () => ALPHABET.charCodeAt(random.int(0, 31)))));
        if (random.int(0, 2) === 0) parts.push(Buffer.from(needles[random.int(0, needles.length - 1)]));
      }
      const data = Buffer.concat(parts);
      const cuts = Array.from({ length: random.int(0, 9) }, () => random.int(0, data.length)).sort((a, b) => a - b);
      assert.deepEqual(scanInChunks(data, needles, cuts), naive(data, needles), `round ${round}`);
    }
  });

  it("does not join separate streams", () => {
    const scanner = new NeedleScanner(["abcdefgh"]);
    scanner.stream().update(Buffer.from("xxabcd"));
    scanner.stream().update(Buffer.from("efghxx"));
    assert.deepEqual(scanner.foundIndices(), []);
  });

  it("refuses an empty needle", () => {
    assert.throws(() => new NeedleScanner(["a", ""]), /must not be empty/);
  });

  it("scans a 64 MiB output at more than 100 MiB/s with 300 needles", () => {
    const random = new SeededRandom(3);
    const needles = Array.from({ length: 300 }, () => hashLike(random));
    const data = Buffer.alloc(64 << 20, "abcdfghijk0123456789");
    const scanner = new NeedleScanner(needles);
    const stream = scanner.stream();
    const start = performance.now();
    for (let i = 0; i < data.length; i += 1 << 20) stream.update(data.subarray(i, i + (1 << 20)));
    const mibPerSecond = 64 / ((performance.now() - start) / 1000);
    assert.ok(mibPerSecond > 100, `${mibPerSecond.toFixed(0)} MiB/s`);
  });
});

describe("ingestScanning", () => {
  it("reports the needles in file contents (across read chunks), symlink targets and names", async () => {
    const store = await openStore("memory://");
    const dir = mkdtempSync(join(tmpdir(), "refscan-"));
    try {
      const random = new SeededRandom(4);
      const needles = Array.from({ length: 6 }, () => hashLike(random));
      const out = join(dir, "out");
      mkdirSync(join(out, "sub"), { recursive: true });
      // Straddles the 1 MiB read chunk of ingestion.
      const big = Buffer.alloc((1 << 20) + 100, "z");
      big.write(needles[0], (1 << 20) - 10, "latin1");
      writeFileSync(join(out, "big"), big);
      symlinkSync(`/nix/store/${needles[2]}-dep/bin`, join(out, "sub", "link"));
      writeFileSync(join(out, "sub", `${needles[4]}.txt`), "");
      writeFileSync(join(out, "plain"), "nothing here");
      const result = await ingestScanning(out, store.blobs, store.directories, needles);
      assert.equal(result.node.kind, "directory");
      assert.equal(result.node.name, "");
      assert.deepEqual(result.needles, [0, 2, 4]);

      symlinkSync(`../${needles[5]}`, join(dir, "root-link"));
      const link = await ingestScanning(join(dir, "root-link"), store.blobs, store.directories, needles);
      assert.deepEqual(link, { node: { kind: "symlink", name: "", target: `../${needles[5]}` }, needles: [5] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await store.close();
    }
  });
});
