// A builder daemon in its own process for the remote-build tests: serveBuilder over the host
// build service (test/support/host-build-service.ts), as `tvix builder daemon` serves one.
// Usage: node builder-daemon-child.ts LISTEN STORE_URL; prints its address line, stops on SIGTERM.
import { serveBuilder } from "../../src/build/grpc/server.ts";
import { openStore } from "../../src/store/composition.ts";
import { HostBuildService } from "./host-build-service.ts";

const [listen, storeUrl] = process.argv.slice(2);
const store = await openStore(storeUrl);
const daemon = await serveBuilder({ store, builderFor: async (buildStore) => new HostBuildService(buildStore), maxBuilds: 2 }, listen);
process.stdout.write(`listening on ${daemon.address} (clients: --builder ${daemon.url})\n`);
await new Promise((resolve) => process.once("SIGTERM", resolve));
await daemon.close();
await store.close();
