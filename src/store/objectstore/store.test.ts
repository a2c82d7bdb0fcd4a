// The backend suite on `objectstore+file://` (the object-store layout on a local directory); the
// same suite runs on S3 through radosgw in test/store-s3.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { describeStoreBackend } from "../../../test/support/store-backend-suite.ts";
import { openStore } from "../composition.ts";

const root = mkdtempSync(join(tmpdir(), "tvix-objectstore-file-"));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

describeStoreBackend("objectstore+file://", () => openStore(`objectstore+file://${join(root, String(count++))}`), { getsNonRootDirectories: false });
