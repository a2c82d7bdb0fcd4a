// Opening a BuildService from a URL, as stores are opened: the scheme (before any `+`) picks the
// backend, loaded on first use. `oci://[BUNDLE_ROOT]` is the local runc builder (bundles under
// BUNDLE_ROOT, default $TMPDIR/tvix-build); remote builders add their schemes to the table.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CastoreError } from "../castore/errors.ts";
import type { Store } from "../store/composition.ts";
import type { BuildService } from "./build-service.ts";

/** Builds run against `store`: inputs come from it, outputs go into it. */
type Opener = (url: URL, store: Store) => Promise<BuildService>;

const backends: Record<string, () => Promise<Opener>> = {
  oci: async () => openOciBuildService,
  // grpc+unix:///SOCKET, grpc+http://HOST:PORT[?push-store=URL]: a `tvix builder daemon`.
  grpc: async () => (await import("./grpc/client.ts")).openGrpcBuildService,
};

async function openOciBuildService(url: URL, store: Store): Promise<BuildService> {
  if (url.host !== "" || url.search !== "") throw new CastoreError("invalid-argument", `'${url.href}': an oci:// builder takes only a path (oci:///bundle/root)`);
  const { OciBuildService } = await import("./oci/build-service.ts");
  const path = decodeURIComponent(url.pathname);
  return new OciBuildService(store, { bundleRoot: path === "" || path === "/" ? join(tmpdir(), "tvix-build") : path });
}

export async function openBuildService(url: string, store: Store): Promise<BuildService> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CastoreError("invalid-argument", `invalid builder URL '${url}'`);
  }
  const scheme = parsed.protocol.slice(0, -1);
  const kind = scheme.split("+")[0];
  const load = Object.hasOwn(backends, kind) ? backends[kind] : undefined;
  if (load === undefined) {
    throw new CastoreError("invalid-argument", `unknown builder URL scheme '${scheme}' in '${url}'; known: ${Object.keys(backends).join(", ")}`);
  }
  return (await load())(parsed, store);
}
