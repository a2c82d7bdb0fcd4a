import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { describeStoreBackend } from "../../../test/support/store-backend-suite.ts";
import { openStore } from "../composition.ts";

const root = mkdtempSync(join(tmpdir(), "tvix-local-store-"));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

describeStoreBackend("local://", () => openStore(`local://${join(root, String(count++))}`));
