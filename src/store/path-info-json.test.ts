import assert from "node:assert/strict";
import { test } from "node:test";
import { EMPTY_DIGEST } from "../castore/digest.ts";
import { parseContentAddress } from "../nix-compat/content-address.ts";
import { parseHash } from "../nix-compat/hash.ts";
import { Signature } from "../nix-compat/signing.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import type { PathInfo } from "./path-info.ts";
import { formatPathInfosJson, nixPrintOrder } from "./path-info-json.ts";

function info(path: string, narHash: string, narSize: number, fields: Partial<PathInfo> = {}): PathInfo {
  return {
    storePath: parseStorePath(path),
    node: { kind: "file", name: "", digest: EMPTY_DIGEST, size: 0, executable: false },
    references: [],
    narSize,
    narSha256: parseHash(narHash).digest,
    signatures: [],
    ...fields,
  };
}

// Printed by `nix path-info --json --recursive` (Nix 2.8) for a small closure in a local store;
// registrationTime and ultimate, which only Nix's local store keeps, taken out.
const NIX_OUTPUT =
  '[{"path":"/nix/store/dv6qk4y0glsgjdbpf2kyybx3qgnd4b73-tvix-dep","narHash":"sha256-CkMIecJm+LV/QJKg+TXPP6zUi7zN5XYNR0jKQFFx6Wk=","narSize":120,"references":[],"ca":"text:sha256:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic"},' +
  '{"path":"/nix/store/n6c20x41c610a66vhh25pm6c73g4ipmw-tvix-narinfo-test","narHash":"sha256-5a/xQvq0NFLjEZ2C9CSpEXcq/5k2LUYR6TekeZFIjnE=","narSize":168,"references":["/nix/store/r4d4n8a7pfkf374d18qjvwfvgchv404d-tvix-dep2"],"deriver":"/nix/store/kk0py05hz3sj9l7xxpg8gpr24h7fs6sr-tvix-narinfo-test.drv"},' +
  '{"path":"/nix/store/r4d4n8a7pfkf374d18qjvwfvgchv404d-tvix-dep2","narHash":"sha256-4wiBAfHYUfo/61cnScnorJpnolbuWUDd8ZBBoMSi/oA=","narSize":176,"references":["/nix/store/dv6qk4y0glsgjdbpf2kyybx3qgnd4b73-tvix-dep"],"ca":"text:sha256:0h2z7kli3vbyfaznlmyain7zvcdabz5cyilxf4vxbnh4xkkwjx0q"}]';

test("the fields, their order and the sorting of paths are Nix's", () => {
  const dep = info("/nix/store/dv6qk4y0glsgjdbpf2kyybx3qgnd4b73-tvix-dep", "sha256-CkMIecJm+LV/QJKg+TXPP6zUi7zN5XYNR0jKQFFx6Wk=", 120, {
    ca: parseContentAddress("text:sha256:094qif9n4cq4fdg459qzbhg1c6wywawwaaivx0k0x8xhbyx4vwic"),
  });
  const dep2 = info("/nix/store/r4d4n8a7pfkf374d18qjvwfvgchv404d-tvix-dep2", "sha256-4wiBAfHYUfo/61cnScnorJpnolbuWUDd8ZBBoMSi/oA=", 176, {
    references: [dep.storePath],
    ca: parseContentAddress("text:sha256:0h2z7kli3vbyfaznlmyain7zvcdabz5cyilxf4vxbnh4xkkwjx0q"),
  });
  const top = info("/nix/store/n6c20x41c610a66vhh25pm6c73g4ipmw-tvix-narinfo-test", "sha256-5a/xQvq0NFLjEZ2C9CSpEXcq/5k2LUYR6TekeZFIjnE=", 168, {
    references: [dep2.storePath],
    deriver: parseStorePath("/nix/store/kk0py05hz3sj9l7xxpg8gpr24h7fs6sr-tvix-narinfo-test.drv"),
  });
  // Given in another order: printed sorted by path, as Nix's StorePathSet is.
  const entries = [top, dep2, dep].map((i) => ({ storePath: i.storePath, info: i }));
  assert.equal(formatPathInfosJson(entries), NIX_OUTPUT);
});

test("references sorted, closure size before deriver, signatures last, missing paths not valid", () => {
  const a = parseStorePath("/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-a");
  const b = parseStorePath("/nix/store/00000000000000000000000000000000-b");
  const signature = new Signature("cache.example.org-1", new Uint8Array(64).fill(7));
  const path = info("/nix/store/11111111111111111111111111111111-p", "sha256-CkMIecJm+LV/QJKg+TXPP6zUi7zN5XYNR0jKQFFx6Wk=", 8, {
    references: [a, b],
    deriver: parseStorePath("/nix/store/22222222222222222222222222222222-p.drv"),
    signatures: [signature],
  });
  const missing = parseStorePath("/nix/store/33333333333333333333333333333333-gone");
  const json = formatPathInfosJson([
    { storePath: missing, info: undefined },
    { storePath: path.storePath, info: path, closureSize: 1234 },
  ]);
  assert.equal(
    json,
    '[{"path":"/nix/store/11111111111111111111111111111111-p","narHash":"sha256-CkMIecJm+LV/QJKg+TXPP6zUi7zN5XYNR0jKQFFx6Wk=","narSize":8,' +
      '"references":["/nix/store/00000000000000000000000000000000-b","/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-a"],"closureSize":1234,' +
      `"deriver":"/nix/store/22222222222222222222222222222222-p.drv","signatures":["${signature.toString()}"]},` +
      '{"path":"/nix/store/33333333333333333333333333333333-gone","valid":false}]',
  );
  assert.equal(formatPathInfosJson([]), "[]");
});

test("another store directory", () => {
  const path = info("/nix/store/11111111111111111111111111111111-p", "sha256-CkMIecJm+LV/QJKg+TXPP6zUi7zN5XYNR0jKQFFx6Wk=", 8);
  assert.match(formatPathInfosJson([{ storePath: path.storePath, info: path }], "/tmp/store"), /^\[\{"path":"\/tmp\/store\/11111111111111111111111111111111-p",/);
});

test("plain output order: sorted, depth first, references before the paths referring to them", () => {
  const path = (hashChar: string, name: string) => parseStorePath(`/nix/store/${hashChar.repeat(32)}-${name}`);
  const [dep, dep2, top, lone] = [path("d", "dep"), path("r", "dep2"), path("n", "top"), path("a", "lone")];
  const entry = (storePath: typeof dep, references: (typeof dep)[]) => ({ storePath, info: info(storePath.toAbsolute(), "sha256-CkMIecJm+LV/QJKg+TXPP6zUi7zN5XYNR0jKQFFx6Wk=", 1, { references }) });
  // As `nix path-info -r` printed the closure above: dv6…-tvix-dep, r4d…-tvix-dep2, n6c…-tvix-narinfo-test.
  const order = nixPrintOrder([entry(top, [dep2, top]), entry(dep2, [dep]), entry(dep, []), entry(lone, [])]).map((e) => e.storePath.name);
  assert.deepEqual(order, ["lone", "dep", "dep2", "top"]);
});
