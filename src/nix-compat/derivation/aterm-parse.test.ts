import assert from "node:assert/strict";
import { test } from "node:test";
import { hashBytes } from "../hash.ts";
import { parseAterm } from "./aterm-parse.ts";

const OUT = `/nix/store/${"a".repeat(32)}-foo`;
const DEV = `/nix/store/${"b".repeat(32)}-foo-dev`;
const DEP = `/nix/store/${"c".repeat(32)}-dep.drv`;
const SRC = `/nix/store/${"d".repeat(32)}-src`;
const SHA256 = hashBytes("sha256", "x");

const parse = (text: string | Buffer) => parseAterm(typeof text === "string" ? Buffer.from(text) : text);

/** A derivation in the form Nix writes, with `outputs` spliced in. */
const withOutputs = (outputs: string) => `Derive([${outputs}],[],[],"x86_64-linux","/bin/sh",[],[])`;

test("parses every part of a derivation", () => {
  const drv = parse(
    `Derive([("dev","${DEV}","",""),("out","${OUT}","","")],[("${DEP}",["lib","out"])],["${SRC}"],` +
      `"x86_64-linux","/bin/sh",["-c","echo hi"],[("name","foo"),("out","${OUT}")])`,
  );
  assert.deepEqual(drv.outputs, new Map([["dev", { kind: "inputAddressed", path: DEV }], ["out", { kind: "inputAddressed", path: OUT }]]));
  assert.deepEqual(drv.inputDrvs, new Map([[DEP, ["lib", "out"]]]));
  assert.deepEqual(drv.inputSrcs, [SRC]);
  assert.equal(drv.system, "x86_64-linux");
  assert.equal(drv.builder, "/bin/sh");
  assert.deepEqual(drv.args, ["-c", "echo hi"]);
  assert.deepEqual(drv.env, new Map([["name", "foo"], ["out", OUT]]));
});

test("unescapes as Nix: \\n \\r \\t, and \\c is c", () => {
  const drv = parse(`Derive([],[],[],"s","b",["a\\"b\\\\c\\nd\\re\\tf\\ag\\$"],[("k\\n","tab\there")])`);
  assert.deepEqual(drv.args, ['a"b\\c\nd\re\tfag$']);
  assert.deepEqual(drv.env, new Map([["k\n", "tab\there"]]));
});

test("keeps bytes that are not UTF-8", () => {
  const drv = parse(Buffer.concat([Buffer.from('Derive([],[],[],"s","b",["'), Buffer.of(0xff, 0xc3), Buffer.from('é"],[])')]));
  assert.deepEqual(drv.args, ["\xff\xc3\xc3\xa9"]); // é is the two bytes C3 A9
});

test("classifies outputs as Nix's parseDerivationOutput does", () => {
  const one = (fields: string) => parse(withOutputs(`("out",${fields})`)).outputs.get("out");
  assert.deepEqual(one(`"${OUT}","",""`), { kind: "inputAddressed", path: OUT });
  assert.deepEqual(one(`"","",""`), { kind: "deferred" });
  assert.deepEqual(one(`"${OUT}","r:sha256","${SHA256.encode("base16")}"`), { kind: "fixed", path: OUT, hash: { method: "recursive", hash: SHA256 } });
  assert.deepEqual(one(`"${OUT}","sha256","${SHA256.encode("nix32")}"`), { kind: "fixed", path: OUT, hash: { method: "flat", hash: SHA256 } });
  assert.deepEqual(one(`"","r:sha1",""`), { kind: "floating", method: "recursive", hashAlgo: "sha1" });
  assert.deepEqual(one(`"","md5","impure"`), { kind: "impure", method: "flat", hashAlgo: "md5" });
});

test("reads another store directory when told", () => {
  const path = `/gnu/store/${"a".repeat(32)}-foo`;
  assert.throws(() => parse(withOutputs(`("out","${path}","","")`)), /not in the Nix store/);
  const drv = parseAterm(Buffer.from(withOutputs(`("out","${path}","","")`)), { storeDir: "/gnu/store" });
  assert.deepEqual(drv.outputs.get("out"), { kind: "inputAddressed", path });
});

test("says what is wrong and at which byte", () => {
  const cases: [string, RegExp][] = [
    ["", /at byte 0 \(in the header\): expected 'Derive\(', found end of input/],
    ["Derive[", /at byte 6 \(in the header\): expected 'Derive\(', found '\['/],
    [`Derive([("out","${OUT}`, /at byte 15 \(in outputs\): unterminated string/],
    [`Derive([("out","${OUT}","","")("dev"`, /at byte \d+ \(in outputs\): expected ',' or '\]', found '\('/],
    [withOutputs(`("out","${OUT}","","")`).replace(`"/bin/sh"`, `"/bin/sh" `), /at byte \d+ \(in builder\): expected ',', found ' '/],
    [withOutputs(`("out","${OUT}","","")`) + "\n", /at byte \d+ \(in the trailer\): unexpected data after the derivation/],
    [withOutputs(`("out","${OUT}","",""),("out","${OUT}","","")`), /at byte 73 \(in outputs\): duplicate output 'out'/],
    [withOutputs(`("out","relative","","")`), /at byte 15 \(in outputs\): bad path of output 'out': path 'relative' is not in the Nix store/],
    [withOutputs(`("out","${OUT}","","abc")`), /at byte 68 \(in outputs\): output 'out' has hash 'abc' but no hashAlgo/],
    [withOutputs(`("out","${OUT}","r:sha3","abc")`), /at byte \d+ \(in outputs\): bad hashAlgo of output 'out': unknown hash algorithm 'sha3'/],
    [withOutputs(`("out","${OUT}","sha256","abc")`), /bad hash of output 'out': hash 'abc' has wrong length for hash type 'sha256'/],
    [withOutputs(`("out","${OUT}","sha256","sha256:${SHA256.encode("base16")}")`), /must be a bare sha256 digest/],
    [withOutputs(`("out","${OUT}","sha256","")`), /floating content-addressed output 'out' must have an empty path/],
    [withOutputs(`("out","${OUT}","sha256","impure")`), /impure output 'out' must have an empty path/],
    [`Derive([],[("${DEP}",["out","out"])],[],"s","b",[],[])`, /\(in inputDrvs\): duplicate output name of input derivation 'out'/],
    [`Derive([],[],["${SRC}","${SRC}"],"s","b",[],[])`, /\(in inputSrcs\): duplicate input source/],
    [`Derive([],[],["${SRC}/sub"],"s","b",[],[])`, /\(in inputSrcs\): bad input source: path '.*\/sub' is not a store path/],
    [`Derive([],[],[],"s","b",[],[("a","1"),("a","2")])`, /\(in env\): duplicate env entry 'a'/],
    [`Derive([],[],[],"s","b",[],[("a"\xff`, /\(in env\): expected ',', found byte 0xff/],
  ];
  for (const [text, message] of cases) assert.throws(() => parse(Buffer.from(text, "latin1")), message, JSON.stringify(text));
});
