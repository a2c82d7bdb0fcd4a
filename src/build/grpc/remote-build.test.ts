// The builder daemon's services and the gRPC BuildService client, in one process: pushing to a
// reachable store, fetching back otherwise (same nodes), log streaming, cancellation, failures,
// and Tvix's DoBuild on the wire.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { connectGrpc } from "../../castore/grpc/channel.ts";
import { ServiceClient } from "../../castore/grpc/client.ts";
import { ingestPath } from "../../castore/fs/ingest.ts";
import { type Node, renameNode } from "../../castore/node.ts";
import { nodeToProto } from "../../castore/proto.ts";
import { BuildRequestSchema, BuildSchema, type BuildRequest } from "../../proto/gen/tvix/build/v1/build_pb.js";
import { copyPathContents } from "../../store/closure.ts";
import { RemoteBuildService } from "../../proto/gen/tvixts/build/v1/rpc_remote_build_pb.js";
import { type Store, openStore } from "../../store/composition.ts";
import { type Daemon, serveStore } from "../../store/daemon.ts";
import { decode, encode, rawClient, rawUnary } from "../../../test/support/store-daemon.ts";
import { HostBuildService } from "../../../test/support/host-build-service.ts";
import { BuildError, type BuildOutput } from "../build-service.ts";
import { openBuildService } from "../composition.ts";
import { serveBuilder } from "./server.ts";

/** A builder URL naming the store to push to. */
function withPushStore(builderUrl: string, pushStoreUrl: string | undefined): string {
  return pushStoreUrl === undefined ? builderUrl : `${builderUrl}?push-store=${encodeURIComponent(pushStoreUrl)}`;
}

const INPUT_NAME = "00000000000000000000000000000000-input";
const OUTPUT = "nix/store/11111111111111111111111111111111-out";

/** A request running `script` with /bin/sh, with one input and one output. */
function shellRequest(script: string, input: Node, env: Record<string, string> = {}): BuildRequest {
  return create(BuildRequestSchema, {
    inputs: [nodeToProto(renameNode(input, INPUT_NAME))],
    commandArgs: ["/bin/sh", "-c", script],
    workingDir: "build",
    scratchPaths: ["build", "nix/store"],
    inputsDir: "nix/store",
    outputs: [OUTPUT],
    environmentVars: Object.entries({ PATH: "/usr/bin:/bin", ...env })
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => ({ key, value: Buffer.from(value) })),
    constraints: { system: "x86_64-linux" },
    refscanNeedles: ["00000000000000000000000000000000", "22222222222222222222222222222222"],
  });
}

const COPY_SCRIPT = `mkdir ../${OUTPUT} && cp ../nix/store/${INPUT_NAME}/data ../${OUTPUT}/copy && echo 00000000000000000000000000000000 > ../${OUTPUT}/ref && echo built`;

describe("remote builds over gRPC", () => {
  let scratch: string;
  let coordinatorStore: Store;
  let storeDaemon: Daemon;
  let builderStore: Store;
  let builder: Daemon;
  let input: Node;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "remote-build-"));
    coordinatorStore = await openStore("memory://");
    storeDaemon = await serveStore(coordinatorStore, `unix://${join(scratch, "store.sock")}`);
    builderStore = await openStore("memory://");
    builder = await serveBuilder({ store: builderStore, builderFor: async (store) => new HostBuildService(store), maxBuilds: 1 }, `unix://${join(scratch, "builder.sock")}`);
    await mkdir(join(scratch, "in"));
    await writeFile(join(scratch, "in", "data"), "input contents\n");
    input = await ingestPath(join(scratch, "in"), coordinatorStore.blobs, coordinatorStore.directories);
  });

  after(async () => {
    await builder.close();
    await storeDaemon.close();
    await builderStore.close();
    await coordinatorStore.close();
    await rm(scratch, { recursive: true, force: true });
  });

  async function buildWith(pushStoreUrl: string | undefined, request: BuildRequest, onLog?: (chunk: Uint8Array) => void): Promise<BuildOutput[]> {
    const client = await openBuildService(withPushStore(builder.url, pushStoreUrl), coordinatorStore);
    try {
      return await client.doBuild(request, { onLog });
    } finally {
      await client.close();
    }
  }

  async function hasTree(store: Store, node: Node): Promise<boolean> {
    return node.kind === "directory" && (await store.directories.get(node.digest)) !== undefined;
  }

  it("pushes to a store the builder reaches, and fetches back from one it does not: the same outputs", async () => {
    const log: string[] = [];
    const pushed = await buildWith(storeDaemon.url, shellRequest(COPY_SCRIPT, input), (chunk) => log.push(Buffer.from(chunk).toString()));
    assert.equal(log.join(""), "built\n");
    assert.equal(pushed.length, 1);
    assert.deepEqual(pushed[0].needles, [0]);
    assert.equal(pushed[0].node.name, "");
    // Built on the coordinator's store: the builder's own store never saw inputs or outputs.
    assert.ok(await hasTree(coordinatorStore, pushed[0].node));
    assert.equal(await hasTree(builderStore, pushed[0].node), false);
    assert.equal(await hasTree(builderStore, input), false);

    // Pushing was never possible here, so the build runs on the builder's store; the outputs
    // arrive in the coordinator's, identical.
    for (const pushStoreUrl of [undefined, `grpc+unix://${join(scratch, "nobody-listens.sock")}`]) {
      const fetched = await buildWith(pushStoreUrl, shellRequest(`${COPY_SCRIPT} && echo again`, input));
      assert.deepEqual(fetched, pushed);
      assert.ok(await hasTree(builderStore, input), "the inputs were put into the builder's store");
      assert.ok(await hasTree(builderStore, fetched[0].node));
    }
  });

  it("fetched-back outputs are complete in the coordinator's store", async () => {
    const script = `mkdir ../${OUTPUT} && echo fresh-${Date.now()} > ../${OUTPUT}/file`;
    const [output] = await buildWith(undefined, shellRequest(script, input));
    assert.equal(output.node.kind, "directory");
    const directory = (await coordinatorStore.directories.get(output.node.digest))!;
    assert.ok(directory, "the output directory is in the coordinator's store");
    assert.ok(await coordinatorStore.blobs.has(directory.files[0].digest), "and so is its file");
  });

  it("the log reaches the client while the build runs", async () => {
    // The build waits for a file that the client creates only once it has seen the log.
    const go = join(scratch, "go");
    const script = `echo waiting; while [ ! -e ${go} ]; do sleep 0.02; done; echo > ../${OUTPUT}`;
    let seen = "";
    const outputs = await buildWith(undefined, shellRequest(script, input), (chunk) => {
      seen += Buffer.from(chunk).toString();
      if (seen.includes("waiting")) void writeFile(go, "");
    });
    assert.equal(outputs[0].node.kind, "file");
    assert.equal(seen, "waiting\n");
  });

  it("cancelling the call kills the build", async () => {
    const pidFile = join(scratch, "pid");
    const client = await openBuildService(builder.url, coordinatorStore);
    const controller = new AbortController();
    try {
      const build = client.doBuild(shellRequest(`echo $$ > ${pidFile}; echo started; exec sleep 1000`, input), {
        signal: controller.signal,
        onLog: () => controller.abort(),
      });
      await assert.rejects(build, { name: "AbortError" });
    } finally {
      await client.close();
    }
    const pid = Number(await readFile(pidFile, "utf8"));
    const deadline = Date.now() + 5000;
    while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(existsSync(`/proc/${pid}`), false, "the build process is gone");
  });

  it("builds beyond the daemon's limit wait for a slot", async () => {
    const go = join(scratch, "go-slots");
    const order: string[] = [];
    let firstStarted!: () => void;
    const started = new Promise<void>((resolve) => (firstStarted = resolve));
    const first = buildWith(undefined, shellRequest(`echo first; while [ ! -e ${go} ]; do sleep 0.02; done; echo 1 > ../${OUTPUT}`, input), () => firstStarted()).then(() => order.push("first"));
    await started;
    const second = buildWith(undefined, shellRequest(`echo 2 > ../${OUTPUT}`, input)).then(() => order.push("second"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(order, [], "the second build waits while the first holds the only slot");
    await writeFile(go, "");
    await Promise.all([first, second]);
    assert.deepEqual(order, ["first", "second"]);
  });

  it("a failed build is a BuildError with the tail of its log; nothing is fetched", async () => {
    await assert.rejects(buildWith(undefined, shellRequest("echo something broke >&2; exit 3", input)), (err: Error) => {
      assert.ok(err instanceof BuildError, String(err));
      assert.match(err.message, /exit code 3/);
      assert.match(err.logTail, /something broke/);
      return true;
    });
  });

  it("a push store that is not a grpc URL is never opened: the outputs come back instead", async () => {
    const rpc = new ServiceClient(RemoteBuildService, await connectGrpc(new URL(builder.url)), "the builder");
    try {
      const probe = await rpc.unary("probeStore", { storeUrl: `local://${join(scratch, "never")}` });
      assert.equal(probe.reachable, false);
      assert.match(probe.reason, /a push store must be a grpc\+unix, grpc\+http or grpc\+https URL/);
      assert.equal((await rpc.unary("probeStore", { storeUrl: storeDaemon.url })).reachable, true);
    } finally {
      rpc.close();
    }
    const [output] = await buildWith(`local://${join(scratch, "never")}`, shellRequest(`${COPY_SCRIPT} && echo local`, input));
    assert.ok(await hasTree(coordinatorStore, output.node));
    assert.equal(existsSync(join(scratch, "never")), false);
  });

  it("serves Tvix's DoBuild on its own store, on the wire", async () => {
    // Tvix callers share the builder's store: put the input there first.
    await copyPathContents({ node: input }, coordinatorStore, builderStore);
    const request = shellRequest(COPY_SCRIPT, input);
    const client = rawClient(builder.address);
    try {
      const build = decode(BuildSchema, await rawUnary(client, "/tvix.build.v1.BuildService/DoBuild", encode(BuildRequestSchema, request)));
      assert.equal(build.outputs.length, 1);
      assert.equal(build.outputs[0].node.case, "directory");
      assert.deepEqual(Buffer.from(build.outputs[0].node.value!.name).toString(), OUTPUT.split("/").at(-1));
      assert.deepEqual(build.outputsNeedles.map((n) => n.needles), [[0n]]);
      await assert.rejects(
        rawUnary(client, "/tvix.build.v1.BuildService/DoBuild", encode(BuildRequestSchema, shellRequest("exit 1", input))),
        (err: grpc.ServiceError) => err.code === grpc.status.ABORTED && /exit code 1/.test(err.details),
      );
    } finally {
      client.close();
    }
  });
});
