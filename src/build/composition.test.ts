import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { openStore } from "../store/composition.ts";
import { openBuildService } from "./composition.ts";
import { OciBuildService } from "./oci/build-service.ts";

describe("openBuildService", () => {
  it("opens oci:// with a bundle root", async () => {
    const store = await openStore("memory://");
    const dir = mkdtempSync(join(tmpdir(), "builder-url-"));
    try {
      const service = await openBuildService(`oci://${dir}/bundles`, store);
      assert.ok(service instanceof OciBuildService);
      assert.ok(existsSync(join(dir, "bundles")));
      await service.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await store.close();
    }
  });

  it("refuses unknown schemes, hosts and bad URLs", async () => {
    const store = await openStore("memory://");
    await assert.rejects(openBuildService("k8s://cluster", store), /unknown builder URL scheme 'k8s'.*known: oci/);
    await assert.rejects(openBuildService("oci://host/x", store), /takes only a path/);
    await assert.rejects(openBuildService("not a url", store), /invalid builder URL 'not a url'/);
    await store.close();
  });
});
