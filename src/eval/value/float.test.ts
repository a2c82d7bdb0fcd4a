// Float formatting against real Nix 2.8: fixed cases, then random doubles through
// nix-instantiate (printing uses %g, toString uses %f).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { formatFloatFixed, formatFloatG } from "./float.ts";

test("%g formatting as Nix prints floats", () => {
  // nix-instantiate --eval --strict -E '[ 16.03125 1234565.0 0.0001 0.00001 123456.0 1234567.0 … ]'
  const cases: [number, string][] = [
    [16.03125, "16.0312"],
    [1234565, "1.23456e+06"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [123456, "123456"],
    [1234567, "1.23457e+06"],
    [Infinity, "inf"],
    [-Infinity, "-inf"],
    [0 * Infinity, "-nan"],
    [0, "0"],
    [-0, "-0"],
    [1e22, "1e+22"],
    [100, "100"],
    [1, "1"],
    [2.5, "2.5"],
    [1.23456789, "1.23457"],
    [0.1, "0.1"],
    [123456789, "1.23457e+08"],
    [1e20, "1e+20"],
    [1.5e-7, "1.5e-07"],
    [1 / 3, "0.333333"],
    [999999.5, "1e+06"],
  ];
  for (const [x, expected] of cases) assert.equal(formatFloatG(x), expected, String(x));
});

test("%f formatting as Nix's toString writes floats", () => {
  // nix-instantiate --eval --strict -E 'map toString [ 16.03125 1234565.0 0.0001 1.0e22 … ]'
  const cases: [number, string][] = [
    [16.03125, "16.031250"],
    [1234565, "1234565.000000"],
    [0.0001, "0.000100"],
    [1e22, "10000000000000000000000.000000"],
    [Infinity, "inf"],
    [0 * Infinity, "-nan"],
    [0.0000005, "0.000000"],
    [0.0000015, "0.000002"],
    [0.0000025, "0.000003"],
    [-0, "-0.000000"],
    [1.5, "1.500000"],
  ];
  for (const [x, expected] of cases) assert.equal(formatFloatFixed(x), expected, String(x));
});

test("random doubles format exactly as in Nix 2.8", () => {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const values: number[] = [];
  for (let i = 0; i < 300; i++) {
    const magnitude = Math.floor(random() * 40) - 20;
    const digits = 1 + Math.floor(random() * 8);
    values.push(Number((random() * 10 ** digits).toFixed(Math.floor(random() * 4))) * 10 ** (magnitude - digits));
  }
  // Nix float literals need a dot: toExponential(16) always has one.
  const literals = values.map((x) => x.toExponential(16));
  const expr = `let xs = [ ${literals.join(" ")} ]; in { g = xs; f = map toString xs; }`;
  const out = execFileSync("nix-instantiate", ["--eval", "--strict", "--json", "-E", expr], { encoding: "utf8" });
  const parsed = JSON.parse(out.replace(/(?<=[[,])([^",\][]+)(?=[,\]])/g, '"$1"')) as { g: string[]; f: string[] };
  values.forEach((x, i) => {
    assert.equal(formatFloatG(x), parsed.g[i], `%g of ${literals[i]}`);
    assert.equal(formatFloatFixed(x), parsed.f[i], `%f of ${literals[i]}`);
  });
});
