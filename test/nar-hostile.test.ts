// Hostile NARs: 40 kinds of malformation, plus a valid NAR cut at every byte. Each must be
// refused with the byte offset and the reason, must leave nothing behind (the target's parent
// and a sibling directory an archive might try to reach are compared before and after), and
// where Nix 2.8 also refuses it, `nix-store --restore` is checked to do so.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { NixCompatError } from "../src/nix-compat/errors.ts";
import { restoreNar } from "../src/nix-compat/nar/restore.ts";
import { encodeTokens } from "../src/nix-compat/nar/wire.ts";
import { describeTree, nixRestore } from "./support/nar.ts";

type Token = string | Uint8Array;
/** The token where the reader must stop: the error's offset is where it starts. */
interface Bad {
  bad: Token;
}

const MAGIC = "nix-archive-1";
const file = (contents: Token): Token[] => ["(", "type", "regular", "contents", contents, ")"];
const symlink = (target: Token): Token[] => ["(", "type", "symlink", "target", target, ")"];
const entry = (name: Token | Bad, node: (Token | Bad)[]): (Token | Bad)[] => ["entry", "(", "name", name, "node", ...node, ")"];
const directory = (...entries: (Token | Bad)[][]): (Token | Bad)[] => ["(", "type", "directory", ...entries.flat(), ")"];

/** Encodes `tokens`; `offset` is where the one marked bad starts. */
function build(tokens: (Token | Bad)[]): { nar: Buffer; offset: number } {
  const index = tokens.findIndex((t) => typeof t === "object" && "bad" in t);
  const plain = tokens.map((t) => (typeof t === "object" && "bad" in t ? t.bad : t));
  return { nar: encodeTokens(...plain), offset: index < 0 ? -1 : encodeTokens(...plain.slice(0, index)).length };
}

/** A NAR with one byte changed. */
function corrupt(nar: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(nar);
  copy[at] = value;
  return copy;
}

function u64(value: bigint): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(value);
  return out;
}

interface HostileCase {
  name: string;
  nar: Buffer;
  /** The message, with the offset where the reader must stop. */
  error: RegExp;
  /** Nix 2.8's `nix-store --restore` refuses it too (some it accepts: it checks less). */
  nixRejects: boolean;
}

function hostileCases(outside: string): HostileCase[] {
  const cases: HostileCase[] = [];
  const add = (name: string, tokens: (Token | Bad)[], reason: string, nixRejects: boolean): void => {
    const { nar, offset } = build(tokens);
    cases.push({ name, nar, error: new RegExp(`^invalid NAR at offset ${offset}: ${reason}`), nixRejects });
  };
  const raw = (name: string, nar: Buffer, error: RegExp, nixRejects: boolean): void => {
    cases.push({ name, nar, error, nixRejects });
  };
  const valid = encodeTokens(MAGIC, ...(directory(entry("a", file("abc")), entry("b", symlink("a"))) as Token[]));

  // The envelope.
  raw("empty input", Buffer.alloc(0), /^NAR is truncated at offset 0: expected the NAR magic/, true);
  add("wrong magic", [{ bad: "nix-archive-2" }, ...file("x")], "not a NAR", true);
  raw("absurd magic length", Buffer.concat([Buffer.alloc(8, 0xff), valid]), /^invalid NAR at offset 0: not a NAR/, true);
  raw("plain text", Buffer.from("this is not a NAR, just some text\n".repeat(3)), /^invalid NAR at offset 0: not a NAR/, true);
  raw("non-zero padding after the magic", corrupt(valid, 8 + 13 + 1, 1), /^invalid NAR at offset 22: non-zero padding byte/, true);
  raw("trailing garbage after the root", Buffer.concat([valid, Buffer.from("x")]), new RegExp(`^invalid NAR at offset ${valid.length}: trailing data`), false);
  raw("two NARs back to back", Buffer.concat([valid, valid]), new RegExp(`^invalid NAR at offset ${valid.length}: trailing data`), false);

  // Node structure.
  add("missing '('", [MAGIC, { bad: "[" }, "type", "regular", "contents", "x", ")"], "expected '\\(', found '\\['", true);
  add("misspelt 'type'", [MAGIC, "(", { bad: "tipe" }, "regular", "contents", "x", ")"], "expected 'type', found 'tipe'", true);
  add("unknown node type", [MAGIC, "(", "type", { bad: "fifo" }, ")"], "expected 'regular', 'symlink' or 'directory', found 'fifo'", true);
  add("two type fields", [MAGIC, "(", "type", "regular", { bad: "type" }, "directory", ")"], "expected 'executable' or 'contents'", true);
  add("regular file without contents", [MAGIC, "(", "type", "regular", { bad: ")" }], "expected 'executable' or 'contents', found '\\)'", false);
  add("non-empty executable marker", [MAGIC, "(", "type", "regular", "executable", { bad: "yes" }, "contents", "x", ")"], "executable marker has a non-empty value", true);
  add("executable marker after contents", [MAGIC, "(", "type", "regular", "contents", "x", { bad: "executable" }, "", ")"], "expected '\\)', found 'executable'", false);
  const beforeType = encodeTokens(MAGIC, "(");
  raw("absurd keyword length", Buffer.concat([beforeType, u64(1n << 40n)]), new RegExp(`^invalid NAR at offset ${beforeType.length}: expected 'type', found a string of ${2 ** 40} bytes`), true);
  raw(
    "absurd contents length",
    Buffer.concat([encodeTokens(MAGIC, "(", "type", "regular", "contents"), u64(1n << 62n), Buffer.alloc(64)]),
    new RegExp(`^invalid NAR at offset ${encodeTokens(MAGIC, "(", "type", "regular", "contents").length}: file size \\d+ is too large`),
    true,
  );
  const shortContents = Buffer.concat([encodeTokens(MAGIC, "(", "type", "regular", "contents"), u64(100n), Buffer.from("only a little")]);
  raw("contents shorter than announced", shortContents, new RegExp(`^NAR is truncated at offset ${shortContents.length}: expected 87 more bytes of file contents`), true);
  const padded = encodeTokens(MAGIC, ...file("abc"));
  raw("non-zero padding after contents", corrupt(padded, padded.length - 16 - 1, 0x20), new RegExp(`^invalid NAR at offset ${padded.length - 17}: non-zero padding byte`), true);

  // Symlinks.
  add("empty symlink target", [MAGIC, "(", "type", "symlink", "target", { bad: "" }, ")"], "symlink target is empty", true);
  add("NUL in a symlink target", [MAGIC, "(", "type", "symlink", "target", { bad: "/etc\0passwd" }, ")"], "symlink target '/etc\\\\x00passwd' contains a NUL byte", false);
  add("symlink target longer than PATH_MAX", [MAGIC, "(", "type", "symlink", "target", { bad: "x".repeat(4096) }, ")"], "symlink target is 4096 bytes long, more than 4095", true);

  // Directory entries.
  const named = (name: Token, reason: string, nixRejects: boolean, label = `entry named ${JSON.stringify(Buffer.from(name).toString("latin1"))}`): void =>
    add(label, [MAGIC, ...directory(entry({ bad: name }, file("pwned")))], reason, nixRejects);
  named("..", "entry name '\\.\\.' is not allowed", true);
  named(".", "entry name '\\.' is not allowed", true);
  named("../escape", "entry name '\\.\\./escape' contains '/'", true);
  named("a/b", "entry name 'a/b' contains '/'", true);
  named("/etc", "entry name '/etc' contains '/'", true);
  named("a\0b", "entry name 'a\\\\x00b' contains a NUL byte", true);
  named("", "entry name is empty", true);
  named("n".repeat(256), "entry name is 256 bytes long, more than 255", true, "entry name longer than NAME_MAX");
  const beforeName = encodeTokens(MAGIC, "(", "type", "directory", "entry", "(", "name");
  raw("absurd name length", Buffer.concat([beforeName, u64(1n << 63n)]), new RegExp(`^invalid NAR at offset ${beforeName.length}: entry name is \\d+ bytes long, more than 255`), true);
  add("duplicate entries", [MAGIC, ...directory(entry("a", file("1")), entry({ bad: "a" }, file("2")))], "duplicate entry 'a'", true);
  add("unsorted entries", [MAGIC, ...directory(entry("b", file("1")), entry({ bad: "a" }, file("2")))], "entry 'a' comes after 'b'", false);
  add(
    "entries in UTF-16 order, not byte order",
    [MAGIC, ...directory(entry("\u{1F600}", file("1")), entry({ bad: "\uFF61" }, file("2")))],
    "entry '\\\\xef\\\\xbd\\\\xa1' comes after '\\\\xf0\\\\x9f\\\\x98\\\\x80'",
    false,
  );
  add(
    "a symlink out, then a directory of the same name writing through it",
    [MAGIC, ...directory(entry("l", symlink(outside)), entry({ bad: "l" }, directory(entry("planted", file("pwned")))))],
    "duplicate entry 'l'",
    true,
  );
  add(
    "a symlink out, then an entry path through it",
    [MAGIC, ...directory(entry("l", symlink(outside)), entry({ bad: "l/planted" }, file("pwned")))],
    "entry name 'l/planted' contains '/'",
    true,
  );
  add("unknown tag in a directory", [MAGIC, "(", "type", "directory", { bad: "file" }, "a", ")"], "expected 'entry' or '\\)', found 'file'", true);
  add("entry without a name", [MAGIC, "(", "type", "directory", "entry", "(", { bad: "node" }, ...file("x"), ")", ")"], "expected 'name', found 'node'", true);
  add("entry without 'node'", [MAGIC, "(", "type", "directory", "entry", "(", "name", "a", { bad: ")" }, ")"], "expected 'node', found '\\)'", false);
  add("entry not closed", [MAGIC, "(", "type", "directory", "entry", "(", "name", "a", "node", ...file("x"), { bad: "entry" }], "expected '\\)', found 'entry'", true);
  const name = Buffer.from("a");
  const withBadPadding = encodeTokens(MAGIC, ...(directory(entry(name, file("x"))) as Token[]));
  const namePadding = encodeTokens(MAGIC, "(", "type", "directory", "entry", "(", "name").length + 8 + 1;
  raw("non-zero padding after a name", corrupt(withBadPadding, namePadding + 3, 0xff), new RegExp(`^invalid NAR at offset ${namePadding + 3}: non-zero padding byte`), true);
  const deep: (Token | Bad)[] = [MAGIC];
  for (let i = 0; i < 1025; i++) deep.push("(", "type", "directory", "entry", "(", "name", "d", i === 1024 ? { bad: "node" } : "node");
  add("directories nested 1025 deep", deep, "directories are nested more than 1024 deep", true);
  const many = Array.from({ length: 60 }, (_, i) => entry(`f${String(i).padStart(2, "0")}`, file(`contents ${i}`)));
  add("a bad name after 60 good files", [MAGIC, ...directory(...many, entry({ bad: ".." }, file("x")))], "entry name '\\.\\.' is not allowed", true);
  return cases;
}

describe("hostile NARs", () => {
  let work: string;
  /** Where the symlink cases point: an escape would write here. */
  let outside: string;
  let count = 0;

  before(() => {
    work = mkdtempSync(join(tmpdir(), "tvix-nar-hostile-"));
    outside = join(work, "outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "keep"), "keep");
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A fresh directory holding only the parent of the target. */
  function arena(): { root: string; target: string } {
    const root = join(work, `case-${count++}`);
    mkdirSync(join(root, "parent"), { recursive: true });
    return { root, target: join(root, "parent/target") };
  }

  /** Restores `nar` whole (and in 3-byte pieces); each must fail with `error` and change nothing. */
  async function assertRefused(nar: Buffer, error: RegExp, where: { root: string; target: string }, label: string, inPieces = true): Promise<void> {
    const before = [...describeTree(where.root), ...describeTree(outside)];
    const pieces = (function* () {
      for (let at = 0; at < nar.length; at += 3) yield nar.subarray(at, at + 3);
    })();
    for (const source of inPieces ? [[nar], pieces] : [[nar]]) {
      await assert.rejects(restoreNar(source, where.target), (err: Error) => {
        assert.ok(err instanceof NixCompatError, `${label}: not a NixCompatError: ${err.stack}`);
        assert.match(err.message, error, label);
        return true;
      });
      assert.deepEqual([...describeTree(where.root), ...describeTree(outside)], before, `${label}: something was written`);
    }
  }

  it("refuses 40 kinds of malformed NAR with offset and reason, writing nothing", async () => {
    const cases = hostileCases(outside);
    assert.ok(cases.length >= 40, `only ${cases.length} cases`);
    for (const c of cases) await assertRefused(c.nar, c.error, arena(), c.name);
  });

  it("is as strict as nix-store --restore wherever Nix refuses", async () => {
    const refusedByNix = hostileCases(outside).filter((c) => c.nixRejects);
    assert.ok(refusedByNix.length >= 25);
    for (const c of refusedByNix) {
      const result = await nixRestore(c.nar, arena().target);
      assert.notEqual(result.status, 0, `nix-store --restore accepted "${c.name}"`);
    }
  });

  it("refuses a valid NAR cut at every byte, saying where it ends", async () => {
    const nar = encodeTokens(
      MAGIC,
      ...(directory(
        entry("bin", directory(entry("tool", ["(", "type", "regular", "executable", "", "contents", "#!/bin/sh\n", ")"]))),
        entry("empty", file("")),
        entry("link", symlink("bin/tool")),
        entry("text", file("twelve bytes")),
      ) as Token[]),
    );
    const where = arena();
    await restoreNar([nar], join(where.root, "complete"));
    rmSync(join(where.root, "complete"), { recursive: true });
    for (let cut = 0; cut < nar.length; cut++) {
      await assertRefused(nar.subarray(0, cut), new RegExp(`^NAR is truncated at offset ${cut}: expected `), where, `cut at ${cut}`, cut % 4 === 0);
    }
    // Nix agrees for a sample of the cuts.
    for (let cut = 0; cut < nar.length; cut += 61) {
      assert.notEqual((await nixRestore(nar.subarray(0, cut), join(where.root, `nix-${cut}`))).status, 0, `Nix accepted a cut at ${cut}`);
    }
  });
});
