// Expected XML is what `nix-instantiate --eval --xml --strict` (Nix 2.8) prints for the
// equivalent expression.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addSource } from "../position.ts";
import { NixAttrs } from "../value/attrs.ts";
import { NixFloat } from "../value/float.ts";
import { type LambdaDef, Lambda, PrimOp } from "../value/function.ts";
import { NixPath } from "../value/path.ts";
import type { EvalState } from "../state.ts";
import { valueToXml } from "./xml.ts";

const def = (fields: Partial<LambdaDef>): LambdaDef => ({ name: null, pos: 0, arg: null, formals: null, ellipsis: false, apply: () => null, ...fields });

test("values, functions and derivations without locations", () => {
  // { a = [ 1 2.5 "q\"<>&\n" null true ]; p = /tmp/x; f = { x, y ? 1, ... } @ args: x; g = x: x; h = builtins.add; e = [];
  //   drv = { type = "derivation"; drvPath = "/d.drv"; outPath = "/o"; n = 1; }; drv2 = { type = "derivation"; drvPath = "/d.drv"; outPath = "/o"; }; }
  const formals = [
    { name: "y", hasDefault: true, pos: 0 },
    { name: "x", hasDefault: false, pos: 0 },
  ];
  const v = NixAttrs.of({
    a: [1, new NixFloat(2.5), 'q"<>&\n', null, true],
    p: new NixPath("/tmp/x"),
    f: new Lambda(def({ arg: "args", formals, ellipsis: true }), null),
    g: new Lambda(def({ arg: "x" }), null),
    h: new PrimOp("add", 2, () => null, {} as EvalState),
    e: [],
    drv: NixAttrs.of({ type: "derivation", drvPath: "/d.drv", outPath: "/o", n: 1 }),
    drv2: NixAttrs.of({ type: "derivation", drvPath: "/d.drv", outPath: "/o" }),
  });
  const expected = `<?xml version='1.0' encoding='utf-8'?>
<expr>
  <attrs>
    <attr name="a">
      <list>
        <int value="1" />
        <float value="2.5" />
        <string value="q&quot;&lt;&gt;&amp;&#xA;" />
        <null />
        <bool value="true" />
      </list>
    </attr>
    <attr name="drv">
      <derivation drvPath="/d.drv" outPath="/o">
        <attr name="drvPath">
          <string value="/d.drv" />
        </attr>
        <attr name="n">
          <int value="1" />
        </attr>
        <attr name="outPath">
          <string value="/o" />
        </attr>
        <attr name="type">
          <string value="derivation" />
        </attr>
      </derivation>
    </attr>
    <attr name="drv2">
      <derivation drvPath="/d.drv" outPath="/o">
        <repeated />
      </derivation>
    </attr>
    <attr name="e">
      <list>
      </list>
    </attr>
    <attr name="f">
      <function>
        <attrspat ellipsis="1" name="args">
          <attr name="x" />
          <attr name="y" />
        </attrspat>
      </function>
    </attr>
    <attr name="g">
      <function>
        <varpat name="x" />
      </function>
    </attr>
    <attr name="h">
      <unevaluated />
    </attr>
    <attr name="p">
      <path value="/tmp/x" />
    </attr>
  </attrs>
</expr>
`;
  assert.equal(valueToXml(v, true, false, new Set()), expected);
});

test("locations of attributes and functions", () => {
  // /tmp/loc.nix containing "{ a = 1;\n  f = x: x; }"
  const text = "{ a = 1;\n  f = x: x; }";
  const source = addSource("/tmp/loc.nix", text);
  const at = (needle: string) => source.base + text.indexOf(needle);
  const attrs = NixAttrs.fromEntries(["a", "f"], [1, new Lambda(def({ arg: "x", pos: at("x: x") }), null)], [at("a ="), at("f =")]);
  const expected = `<?xml version='1.0' encoding='utf-8'?>
<expr>
  <attrs>
    <attr column="3" line="1" name="a" path="/tmp/loc.nix">
      <int value="1" />
    </attr>
    <attr column="3" line="2" name="f" path="/tmp/loc.nix">
      <function column="7" line="2" path="/tmp/loc.nix">
        <varpat name="x" />
      </function>
    </attr>
  </attrs>
</expr>
`;
  assert.equal(valueToXml(attrs, true, true, new Set()), expected);
});
