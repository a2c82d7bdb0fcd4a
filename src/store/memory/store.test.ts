import { describeStoreBackend } from "../../../test/support/store-backend-suite.ts";
import { openStore } from "../composition.ts";

describeStoreBackend("memory://", () => openStore("memory://"));
