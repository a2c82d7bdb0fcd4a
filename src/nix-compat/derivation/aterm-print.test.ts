import assert from "node:assert/strict";
import { test } from "node:test";
import { utf8ToBytes } from "../byte-string.ts";
import { hashBytes } from "../hash.ts";
import { parseAterm } from "./aterm-parse.ts";
import { printAterm } from "./aterm-print.ts";
import type { Derivation } from "./derivation.ts";

const OUT = `/nix/store/${"a".repeat(32)}-foo`;
const DEV = `/nix/store/${"b".repeat(32)}-foo-dev`;
const DEP1 = `/nix/store/${"c".repeat(32)}-dep.drv`;
const DEP2 = `/nix/store/${"1".repeat(32)}-dep.drv`;
const SRC1 = `/nix/store/${"d".repeat(32)}-src`;
const SRC2 = `/nix/store/${"0".repeat(32)}-src`;
const SHA1 = hashBytes("sha1", "x");

const text = (drv: Derivation, options?: Parameters<typeof printAterm>[1]) => printAterm(drv, options).toString("latin1");

function drv(parts: Partial<Derivation>): Derivation {
  return { outputs: new Map(), inputDrvs: new Map(), inputSrcs: [], system: "x86_64-linux", builder: "/bin/sh", args: [], env: new Map(), ...parts };
}

test("round-trips every kind of output", () => {
  const outputs = [
    `("dev","${DEV}","","")`,
    `("out","${OUT}","r:sha1","${SHA1.encode("base16")}")`,
    `("a","","sha512","")`,
    `("b","","r:md5","impure")`,
    `("c","","","")`,
  ];
  for (const output of outputs) {
    const source = `Derive([${output}],[("${DEP2}",["out"]),("${DEP1}",["dev","out"])],["${SRC2}","${SRC1}"],"s","b",["a","b"],[("k","v")])`;
    assert.equal(text(parseAterm(Buffer.from(source))), source);
  }
});

test("escapes builder, args and env as Nix; writes the other strings as they are", () => {
  const printed = text(drv({ system: 'x"y\n', builder: 'a"\\\n\r\t\x01é', args: ["\\", ""], env: new Map([['"k"', "\x7f$"]]) }));
  assert.equal(printed, 'Derive([],[],[],"x"y\n","a\\"\\\\\\n\\r\\t\x01é",["\\\\",""],[("\\"k\\"","\x7f$")])');
});

test("sorts outputs, inputs and env by bytes, whatever the insertion order", () => {
  const printed = text(
    drv({
      outputs: new Map([["out", { kind: "inputAddressed", path: OUT }], ["dev", { kind: "inputAddressed", path: DEV }]]),
      inputDrvs: new Map([[DEP1, ["out", "dev", "out"]], [DEP2, ["out"]]]),
      inputSrcs: [SRC1, SRC2, SRC1],
      env: new Map([[utf8ToBytes("😀"), "1"], [utf8ToBytes("\u{FFFD}"), "2"], ["a", "3"]]),
    }),
  );
  assert.equal(
    printed,
    `Derive([("dev","${DEV}","",""),("out","${OUT}","","")],[("${DEP2}",["out"]),("${DEP1}",["dev","out"])],["${SRC2}","${SRC1}"],` +
      `"x86_64-linux","/bin/sh",[],[("a","3"),("${utf8ToBytes("\u{FFFD}")}","2"),("${utf8ToBytes("😀")}","1")])`,
  );
});

test("writes invalid UTF-8 back as the bytes it came from", () => {
  const bytes = Buffer.concat([Buffer.from('Derive([],[],[],"s","b",["'), Buffer.of(0xff, 0xe2, 0x82), Buffer.from('"],[])')]);
  assert.ok(printAterm(parseAterm(bytes)).equals(bytes));
});

test("masks outputs and replaces input derivations for hashDerivationModulo", () => {
  const d = drv({
    outputs: new Map([["out", { kind: "fixed", path: OUT, hash: { method: "flat", hash: SHA1 } }], ["dev", { kind: "inputAddressed", path: DEV }]]),
    inputDrvs: new Map([[DEP1, ["out"]]]),
    env: new Map([["out", OUT], ["dev", DEV], ["other", OUT]]),
  });
  const printed = text(d, { maskOutputs: true, inputDrvs: new Map([["ff00", new Set(["z", "a"])]]) });
  assert.equal(
    printed,
    `Derive([("dev","","",""),("out","","sha1","${SHA1.encode("base16")}")],[("ff00",["a","z"])],[],` +
      `"x86_64-linux","/bin/sh",[],[("dev",""),("other","${OUT}"),("out","")])`,
  );
});
