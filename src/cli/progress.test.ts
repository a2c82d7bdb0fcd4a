import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { createProgress, formatBytes, progressLine } from "./progress.ts";

/** A stream that says it is (or is not) a terminal, and keeps what was written. */
function terminal(isTTY: boolean, columns = 80): { stream: PassThrough & { isTTY: boolean; columns: number }; text: () => string } {
  const stream = Object.assign(new PassThrough(), { isTTY, columns });
  const parts: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => parts.push(chunk));
  return { stream, text: () => Buffer.concat(parts).toString() };
}

test("nothing is drawn when the stream is not a terminal", async () => {
  const { stream, text } = terminal(false);
  const progress = createProgress("copying", { stream });
  progress.update(1, 2, "x");
  progress.done();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(text(), "");
});

test("a terminal gets one redrawn line, at most ten times a second, erased at the end", async () => {
  const { stream, text } = terminal(true);
  let clock = 0;
  const progress = createProgress("copying", { stream, now: () => clock });
  progress.update(1, 4, "/nix/store/a");
  clock = 50;
  progress.update(2, 4, "/nix/store/b"); // too soon: skipped
  clock = 150;
  progress.update(3, 4, "/nix/store/c");
  clock = 160;
  progress.update(4, 4); // the last one is always drawn
  progress.done();
  progress.update(5, 4); // after done: ignored
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(
    text(),
    "\r\x1b[Kcopying 1/4 (25%) /nix/store/a" + "\r\x1b[Kcopying 3/4 (75%) /nix/store/c" + "\r\x1b[Kcopying 4/4 (100%)" + "\r\x1b[K",
  );
});

test("the line is cut to the terminal width so it never wraps", async () => {
  const { stream, text } = terminal(true, 20);
  const progress = createProgress("adding", { stream, now: () => 0 });
  progress.update(1, undefined, "a-very-long-detail-that-does-not-fit");
  await new Promise((resolve) => setImmediate(resolve));
  const line = text().slice("\r\x1b[K".length);
  assert.equal(line, "adding 1 a-very-lo…");
  assert.equal(line.length, 19);
});

test("clear() erases the line and lets the next update draw at once", async () => {
  const { stream, text } = terminal(true);
  const progress = createProgress("adding", { stream, now: () => 0 });
  progress.update(1, 3);
  progress.clear();
  progress.clear(); // nothing drawn: nothing to erase
  progress.update(2, 3);
  progress.done();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(text(), "\r\x1b[Kadding 1/3 (33%)" + "\r\x1b[K" + "\r\x1b[Kadding 2/3 (66%)" + "\r\x1b[K");
});

test("a terminal of unknown width (0 columns) is taken as 80 wide", async () => {
  const { stream, text } = terminal(true, 0);
  createProgress("adding", { stream, now: () => 0 }).update(1, 2, "x".repeat(100));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(text().length, "\r\x1b[K".length + 79);
});

test("done() erases nothing when nothing was drawn", async () => {
  const { stream, text } = terminal(true);
  createProgress("x", { stream }).done();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(text(), "");
});

test("byte amounts and rates", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1.0 KiB");
  assert.equal(formatBytes(3.5 * 1024 * 1024), "3.5 MiB");
  assert.equal(formatBytes(2 ** 50), "1024.0 TiB");
  assert.equal(progressLine("dumping", "bytes", 6 << 20, 12 << 20, undefined, 2), "dumping 6.0 MiB/12.0 MiB (50%) 3.0 MiB/s");
  assert.equal(progressLine("dumping", "bytes", 512, undefined, "p", 0.5), "dumping 512 B p");
  assert.equal(progressLine("copying", "items", 0, 0, undefined, 0), "copying 0/0");
});
