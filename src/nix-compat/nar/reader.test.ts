import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { NixCompatError } from "../errors.ts";
import { runProcess, useSampleNar } from "../../../test/support/nar.ts";
import { NarReader, quote, readNar, type NarVisitor } from "./reader.ts";
import { encodeTokens } from "./wire.ts";

/** A visitor that records events as text, joining each file's contents into one event. */
function recorder(): { visitor: NarVisitor; events: string[] } {
  const events: string[] = [];
  let contents: Buffer[] = [];
  const visitor: NarVisitor = {
    directory: () => events.push("directory"),
    entry: (name) => events.push(`entry ${name.toString("hex")}`),
    directoryEnd: () => events.push("directoryEnd"),
    file: (executable, size, offset) => {
      events.push(`file executable=${executable} size=${size} offset=${offset}`);
      contents = [];
    },
    contents: (chunk) => contents.push(Buffer.from(chunk)),
    fileEnd: () => events.push(`contents ${Buffer.concat(contents).toString("hex")}`),
    symlink: (target) => events.push(`symlink ${target.toString("hex")}`),
  };
  return { visitor, events };
}

function parse(nar: Buffer, chunkSize: number): string[] {
  const { visitor, events } = recorder();
  const reader = new NarReader(visitor);
  for (let at = 0; at < nar.length; at += chunkSize) reader.push(nar.subarray(at, at + chunkSize));
  reader.end();
  assert.equal(reader.offset, nar.length);
  return events;
}

describe("NAR reader", () => {
  const sample = useSampleNar("nar-reader");

  it("reports every node of Nix's NAR in order", () => {
    const hex = (s: string): string => Buffer.from(s).toString("hex");
    const events = parse(sample.nar, sample.nar.length);
    assert.deepEqual(
      events.filter((e) => !e.startsWith("file")),
      [
        "directory",
        `entry ${hex("a")}`, `contents ${hex("hello")}`,
        `entry ${hex("empty")}`, "directory", "directoryEnd",
        `entry ${hex("sub")}`, "directory",
        `entry ${hex("deeper")}`, "directory", `entry ${hex("zero")}`, "contents ", "directoryEnd",
        `entry ${hex("eight")}`, `contents ${hex("12345678")}`,
        `entry ${hex("link")}`, `symlink ${hex("../a\x02\n")}`,
        `entry ${hex('q"uote\\\n\t\x01')}`, `contents ${hex("x")}`,
        "directoryEnd",
        `entry ${hex("x")}`, `contents ${hex("#!/bin/sh\n")}`,
        "directoryEnd",
      ],
    );
  });

  it("gives each file's contents offset as nix nar ls --json reports narOffset", async () => {
    const narFile = join(sample.work, "tree.nar");
    writeFileSync(narFile, sample.nar);
    const listing = await runProcess("nix", ["--extra-experimental-features", "nix-command", "nar", "ls", "--json", "-R", narFile, "/"]);
    const offsets = [...listing.stdout.toString().matchAll(/"size":(\d+)(,"executable":true)?,"narOffset":(\d+)/g)].map(
      (m) => `file executable=${m[2] !== undefined} size=${m[1]} offset=${m[3]}`,
    );
    assert.equal(offsets.length, 5);
    assert.deepEqual(parse(sample.nar, sample.nar.length).filter((e) => e.startsWith("file")), offsets);
  });

  it("gives the same events however the bytes are split", () => {
    const whole = parse(sample.nar, sample.nar.length);
    for (const size of [1, 2, 3, 7, 8, 9, 13, 64, 1000]) assert.deepEqual(parse(sample.nar, size), whole, `chunks of ${size}`);
  });

  it("reads from async and sync sources and returns the NAR size", async () => {
    async function* source(): AsyncGenerator<Buffer> {
      for (let at = 0; at < sample.nar.length; at += 100) yield sample.nar.subarray(at, at + 100);
    }
    assert.equal(await readNar(source(), recorder().visitor), sample.nar.length);
    assert.equal(await readNar([sample.nar], recorder().visitor), sample.nar.length);
  });

  it("limits directory nesting to maxDepth", () => {
    const nested = (depth: number): Buffer => {
      const open: string[] = ["nix-archive-1"];
      const close: string[] = [];
      for (let i = 0; i < depth; i++) {
        open.push("(", "type", "directory", "entry", "(", "name", "d", "node");
        close.push(")", ")");
      }
      return encodeTokens(...open, "(", "type", "directory", ")", ...close);
    };
    assert.equal(parse(nested(5), 4096).filter((e) => e === "directory").length, 6);
    const atLimit = new NarReader(recorder().visitor, { maxDepth: 5 });
    atLimit.push(nested(5));
    atLimit.end();
    const reader = new NarReader(recorder().visitor, { maxDepth: 4 });
    assert.throws(() => reader.push(nested(5)), (err: Error) => err instanceof NixCompatError && /nested more than 4 deep/.test(err.message));
    // A failed reader keeps failing with the same error.
    assert.throws(() => reader.end(), /nested more than 4 deep/);
  });

  it("quotes bytes readably in messages", () => {
    assert.equal(quote(Buffer.from("a'b\\c\n\xff", "latin1")), "'a\\x27b\\x5cc\\x0a\\xff'");
    assert.equal(quote(Buffer.alloc(70, 0x61)), `'${"a".repeat(64)}…'`);
  });
});
