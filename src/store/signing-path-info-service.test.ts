import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Hash } from "../nix-compat/hash.ts";
import { SecretKey, trustedKeys, verifySignature } from "../nix-compat/signing.ts";
import { parseStorePath } from "../nix-compat/store-path.ts";
import { EMPTY_DIGEST } from "../castore/digest.ts";
import { MemoryPathInfoService } from "./memory/path-info-service.ts";
import { type PathInfo, pathInfoFingerprint } from "./path-info.ts";
import { SigningPathInfoService, withSignature } from "./signing-path-info-service.ts";

const key = SecretKey.generate("cache-1");
const info: PathInfo = {
  storePath: parseStorePath("/nix/store/00bgd045z0d4icpbc2yyz4gx48ak44la-net-tools-1.60_p20170221182432"),
  node: { kind: "file", name: "", digest: EMPTY_DIGEST, size: 0, executable: false },
  references: [parseStorePath("/nix/store/0d71ygfwbmy1xjlbj1v027dfmy9cqavy-libffi-3.0.13")],
  narSize: 1234,
  narSha256: new Uint8Array(32).fill(7),
  signatures: [],
};

describe("SigningPathInfoService", () => {
  it("signs what is put with the key, over Nix's fingerprint", async () => {
    const inner = new MemoryPathInfoService();
    const signing = new SigningPathInfoService(inner, key);
    const stored = await signing.put(info);
    assert.equal(stored.signatures.length, 1);
    assert.equal(stored.signatures[0].keyName, "cache-1");
    const fingerprint = `1;/nix/store/00bgd045z0d4icpbc2yyz4gx48ak44la-net-tools-1.60_p20170221182432;${new Hash("sha256", info.narSha256).format("nix32")};1234;/nix/store/0d71ygfwbmy1xjlbj1v027dfmy9cqavy-libffi-3.0.13`;
    assert.equal(pathInfoFingerprint(info), fingerprint);
    assert.ok(verifySignature(fingerprint, stored.signatures[0], trustedKeys([key.publicKey])));
    assert.equal(await signing.get(info.storePath.digest), stored);
    assert.deepEqual((await inner.get(info.storePath.digest))?.signatures, stored.signatures);
    assert.equal(info.signatures.length, 0, "the caller's PathInfo is left alone");
  });

  it("keeps other signatures and does not add its own twice", () => {
    const other = SecretKey.generate("other-1").sign("anything");
    const once = withSignature({ ...info, signatures: [other] }, key);
    assert.deepEqual(once.signatures.map((s) => s.keyName), ["other-1", "cache-1"]);
    assert.equal(withSignature(once, key), once);
  });

  it("signs for the store directory it is given", async () => {
    const signing = new SigningPathInfoService(new MemoryPathInfoService(), key, "/gnu/store");
    const stored = await signing.put(info);
    assert.ok(verifySignature(pathInfoFingerprint(info, "/gnu/store"), stored.signatures[0], trustedKeys([key.publicKey])));
    assert.ok(!verifySignature(pathInfoFingerprint(info), stored.signatures[0], trustedKeys([key.publicKey])));
  });
});
