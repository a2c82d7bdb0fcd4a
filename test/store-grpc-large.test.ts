// Large blobs through `tvix store daemon` over a unix socket: the throughput of put and read,
// and a 1 GiB blob that streams through without being held in memory on either side.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type Store, openStore } from "../src/store/composition.ts";
import { startDaemon } from "./support/store-daemon.ts";

const scratch = mkdtempSync(join(tmpdir(), "tvix-grpc-large-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** `size` bytes in 4 MiB pieces (one random piece, each copy with its index stamped in). */
async function writeGenerated(store: Store, size: number): Promise<Uint8Array> {
  const piece = randomBytes(4 << 20);
  const writer = store.blobs.openWrite();
  for (let offset = 0, i = 0; offset < size; offset += piece.length, i++) {
    piece.writeUInt32LE(i, 0);
    await writer.write(piece.subarray(0, Math.min(piece.length, size - offset)));
  }
  return writer.close();
}

async function readAll(store: Store, digest: Uint8Array): Promise<{ size: number; digest: string }> {
  const hasher = createHash("sha256");
  let size = 0;
  for await (const chunk of (await store.blobs.read(digest))!) {
    hasher.update(chunk);
    size += chunk.length;
  }
  return { size, digest: hasher.digest("hex") };
}

function peakMemoryMiB(pid: number): number {
  const status = execFileSync("cat", [`/proc/${pid}/status`], { encoding: "utf8" });
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) / 1024;
}

describe("large blobs over a unix socket", () => {
  test("throughput of put and read (memory:// behind the daemon)", async (t) => {
    const daemon = await startDaemon(`unix://${join(scratch, "speed.sock")}`);
    const store = await openStore(daemon.url);
    try {
      const size = 128 << 20;
      let started = performance.now();
      const digest = await writeGenerated(store, size);
      const putSeconds = (performance.now() - started) / 1000;
      started = performance.now();
      assert.equal((await readAll(store, digest)).size, size);
      const readSeconds = (performance.now() - started) / 1000;
      const mbps = (seconds: number) => (size / 1e6 / seconds).toFixed(0);
      t.diagnostic(`128 MiB blob over grpc+unix: put ${mbps(putSeconds)} MB/s, read ${mbps(readSeconds)} MB/s`);
    } finally {
      await store.close();
      assert.equal((await daemon.stop()).code, 0);
    }
  });

  test("a 1 GiB blob streams through a daemon on local:// without being held in memory", async (t) => {
    const daemon = await startDaemon(`unix://${join(scratch, "big.sock")}`, `local://${join(scratch, "big-store")}`);
    const store = await openStore(daemon.url);
    try {
      const size = 1 << 30;
      const baseline = peakMemoryMiB(daemon.child.pid!);
      let started = performance.now();
      const digest = await writeGenerated(store, size);
      const putSeconds = (performance.now() - started) / 1000;
      const clientBefore = process.memoryUsage().rss;
      started = performance.now();
      const { size: readSize } = await readAll(store, digest);
      const readSeconds = (performance.now() - started) / 1000;
      assert.equal(readSize, size);
      const daemonPeak = peakMemoryMiB(daemon.child.pid!);
      const clientGrowth = (process.memoryUsage().rss - clientBefore) / (1 << 20);
      t.diagnostic(
        `1 GiB blob via local://: put ${(size / 1e6 / putSeconds).toFixed(0)} MB/s, read ${(size / 1e6 / readSeconds).toFixed(0)} MB/s; ` +
          `daemon peak RSS ${daemonPeak.toFixed(0)} MiB (at start ${baseline.toFixed(0)} MiB), client RSS growth while reading ${clientGrowth.toFixed(0)} MiB`,
      );
      assert.ok(daemonPeak - baseline < 256, `the daemon's peak memory grew by ${(daemonPeak - baseline).toFixed(0)} MiB`);
      assert.ok(clientGrowth < 256, `the client's memory grew by ${clientGrowth.toFixed(0)} MiB while reading`);
    } finally {
      await store.close();
      assert.equal((await daemon.stop()).code, 0);
    }
  });
});
