// Remote builds between processes and network namespaces, with `tvix builder daemon` running
// real runc builds (busybox from the store as the builder): a builder that reaches the
// coordinator's store daemon pushes the outputs into it (its own store never sees them); one
// that cannot reach it builds on its own store and the outputs come back through the builder
// connection; both give the same output nodes. The log arrives while the build runs, and
// cancelling the call kills the container.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ingestPath } from "../src/castore/fs/ingest.ts";
import { type Node, renameNode } from "../src/castore/node.ts";
import { nodeToProto } from "../src/castore/proto.ts";
import { openBuildService } from "../src/build/composition.ts";
import type { BuildOptions, BuildOutput } from "../src/build/build-service.ts";
import { BuildRequestSchema, type BuildRequest } from "../src/proto/gen/tvix/build/v1/build_pb.js";
import { type Store, openStore } from "../src/store/composition.ts";
import { NODE, TVIX } from "./support/store-daemon.ts";

/** A builder URL naming the store to push to. */
function withPushStore(builderUrl: string, pushStoreUrl: string | undefined): string {
  return pushStoreUrl === undefined ? builderUrl : `${builderUrl}?push-store=${encodeURIComponent(pushStoreUrl)}`;
}

const INPUT_NAME = "00000000000000000000000000000000-input";
const BUSYBOX_NAME = "22222222222222222222222222222222-busybox";
const OUTPUT = "nix/store/11111111111111111111111111111111-out";

// One namespace and subnet per test process, so that runs side by side do not collide.
const NETNS = `tvixb${process.pid}`;
const SUBNET = 10 + (process.pid % 240);
const HOST_ADDRESS = `10.231.${SUBNET}.1`;
const NETNS_ADDRESS = `10.231.${SUBNET}.2`;
const VETH_HOST = `tvb${process.pid % 100000}h`;
const VETH_NETNS = `tvb${process.pid % 100000}n`;

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: "pipe" });
}

function removeNamespace(): void {
  // Deleting the namespace deletes the veth pair with it.
  try {
    ip("netns", "del", NETNS);
  } catch {
    // not there
  }
}

function createNamespace(): void {
  removeNamespace();
  ip("netns", "add", NETNS);
  ip("link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NETNS);
  ip("link", "set", VETH_NETNS, "netns", NETNS);
  ip("addr", "add", `${HOST_ADDRESS}/24`, "dev", VETH_HOST);
  ip("link", "set", VETH_HOST, "up");
  ip("netns", "exec", NETNS, "ip", "addr", "add", `${NETNS_ADDRESS}/24`, "dev", VETH_NETNS);
  ip("netns", "exec", NETNS, "ip", "link", "set", VETH_NETNS, "up");
  ip("netns", "exec", NETNS, "ip", "link", "set", "lo", "up");
}

interface Server {
  url: string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts a daemon (optionally inside the namespace) and waits for its address line. */
async function startServer(command: string[], inNamespace = false): Promise<Server> {
  // nsenter joins only the network namespace: `ip netns exec` would also remount /sys, hiding
  // the cgroup filesystem runc needs.
  const argv = inNamespace ? ["nsenter", `--net=/run/netns/${NETNS}`, ...command] : command;
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr!.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 20_000;
  let match: RegExpExecArray | null = null;
  while (!(match = /\(clients: --\w+ (\S+)\)$/m.exec(stdout))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${command.join(" ")} did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: match[1],
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
      running.delete(child);
    },
  };
}

const storeDaemon = (listen: string, store: string) => startServer([NODE, TVIX, "store", "daemon", "--listen", listen, "--store", store]);
const builderDaemon = (listen: string, store: string, bundles: string, inNamespace = false) =>
  startServer([NODE, TVIX, "builder", "daemon", "--listen", listen, "--store", store, "--builder", `oci://${bundles}`, "-j", "2"], inNamespace);

/** A request running `script` with busybox's sh, the input tree at $input. */
function request(script: string, input: Node, busybox: Node): BuildRequest {
  const env: Record<string, string> = { PATH: `/nix/store/${BUSYBOX_NAME}/bin`, input: `/nix/store/${INPUT_NAME}`, out: `/${OUTPUT}` };
  return create(BuildRequestSchema, {
    inputs: [nodeToProto(renameNode(input, INPUT_NAME)), nodeToProto(renameNode(busybox, BUSYBOX_NAME))],
    commandArgs: [`/nix/store/${BUSYBOX_NAME}/bin/sh`, "-e", "-c", script],
    workingDir: "build",
    scratchPaths: ["build", "nix/store"],
    inputsDir: "nix/store",
    outputs: [OUTPUT],
    environmentVars: Object.keys(env)
      .sort()
      .map((key) => ({ key, value: Buffer.from(env[key]) })),
    constraints: { system: "x86_64-linux" },
    refscanNeedles: ["00000000000000000000000000000000"],
  });
}

const COPY_SCRIPT = "mkdir $out; cp $input/data $out/copy; echo $input > $out/ref; echo built";

/** The runc containers of the builder whose bundles are in `bundles` (other test files build too). */
function runcContainers(bundles: string): string[] {
  const containers = (JSON.parse(execFileSync("runc", ["list", "--format", "json"], { encoding: "utf8" })) ?? []) as { id: string; bundle: string }[];
  return containers.filter((c) => c.bundle.startsWith(`${bundles}/`)).map((c) => c.id);
}

describe("remote builders in other processes and network namespaces", () => {
  let scratch: string;
  let inputTree: string;
  let busyboxTree: string;

  before(async () => {
    assert.ok(existsSync("/bin/busybox"), "busybox-static must be installed (scripts/setup)");
    execFileSync("runc", ["--version"]);
    scratch = await mkdtemp(join(tmpdir(), "build-remote-"));
    inputTree = join(scratch, "input");
    await mkdir(inputTree);
    await writeFile(join(inputTree, "data"), "input contents\n");
    busyboxTree = join(scratch, "busybox");
    await mkdir(join(busyboxTree, "bin"), { recursive: true });
    await copyFile("/bin/busybox", join(busyboxTree, "bin", "busybox"));
    for (const applet of ["sh", "mkdir", "cp", "echo", "sleep"]) await symlink("busybox", join(busyboxTree, "bin", applet));
    createNamespace();
  });

  after(async () => {
    for (const child of running) child.kill("SIGKILL");
    removeNamespace();
    await rm(scratch, { recursive: true, force: true });
  });

  interface Outcome {
    outputs: BuildOutput[];
    log: string;
    inBuilderStore: boolean;
    inCoordinatorStore: boolean;
  }

  /**
   * Builds `script` through `builderUrl` for the coordinator store at `storeUrl`, named to the
   * builder as `pushStoreUrl`; says where the output ended up.
   */
  async function build(builderUrl: string, storeUrl: string, pushStoreUrl: string, script = COPY_SCRIPT, options: BuildOptions = {}): Promise<Outcome> {
    const coordinator = await openStore(storeUrl);
    // The builder daemon serves its own store's services too.
    const builderStore = await openStore(builderUrl);
    const client = await openBuildService(withPushStore(builderUrl, pushStoreUrl), coordinator);
    const has = async (store: Store, node: Node) => {
      if (node.kind !== "directory") return false;
      const directory = await store.directories.get(node.digest);
      return directory !== undefined && (await store.blobs.has(directory.files[0].digest));
    };
    try {
      const input = await ingestPath(inputTree, coordinator.blobs, coordinator.directories);
      const busybox = await ingestPath(busyboxTree, coordinator.blobs, coordinator.directories);
      let log = "";
      const outputs = await client.doBuild(request(script, input, busybox), {
        ...options,
        onLog: (chunk) => {
          log += Buffer.from(chunk).toString();
          options.onLog?.(chunk);
        },
      });
      return { outputs, log, inBuilderStore: await has(builderStore, outputs[0].node), inCoordinatorStore: await has(coordinator, outputs[0].node) };
    } finally {
      await client.close();
      await builderStore.close();
      await coordinator.close();
    }
  }

  it("a builder in another process pushes to the store daemon it reaches", async () => {
    const store = await storeDaemon(`unix://${join(scratch, "store.sock")}`, `local://${join(scratch, "store-a")}`);
    const builder = await builderDaemon(`unix://${join(scratch, "builder.sock")}`, `local://${join(scratch, "builder-a")}`, join(scratch, "bundles-a"));
    try {
      const result = await build(builder.url, store.url, store.url);
      assert.equal(result.log, "built\n");
      assert.deepEqual(result.outputs[0].needles, [0]);
      assert.equal(result.inCoordinatorStore, true);
      assert.equal(result.inBuilderStore, false, "pushed: the builder's own store never held the outputs");

      // The log comes while the build runs: the first line well before the end.
      let firstLine = 0;
      const started = Date.now();
      await build(builder.url, store.url, store.url, "echo first; sleep 2; echo > $out", { onLog: () => (firstLine ||= Date.now()) });
      assert.ok(firstLine > 0 && Date.now() - firstLine >= 1500, `the first log line came ${firstLine - started} ms after the start, ${Date.now() - firstLine} ms before the end`);

      // Cancelling the call kills the container.
      const bundles = join(scratch, "bundles-a");
      const before = runcContainers(bundles);
      const controller = new AbortController();
      const cancelled = Date.now();
      await assert.rejects(build(builder.url, store.url, store.url, "echo started; sleep 1000", { signal: controller.signal, onLog: () => controller.abort() }), { name: "AbortError" });
      const deadline = Date.now() + 10_000;
      while (runcContainers(bundles).length > before.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(runcContainers(bundles), before, "no container is left running");
      assert.ok(Date.now() - cancelled < 10_000);
    } finally {
      await builder.stop();
      await store.stop();
    }
  });

  it("a builder in another network namespace pushes when it reaches the store, else the outputs come back: same nodes", async () => {
    // Reachable from the namespace over the veth pair.
    const sharedStore = await storeDaemon(`${HOST_ADDRESS}:0`, `local://${join(scratch, "store-b")}`);
    // Only on the root namespace's loopback: the builder cannot reach it.
    const privateStore = await storeDaemon("127.0.0.1:0", `local://${join(scratch, "store-c")}`);
    const builder = await builderDaemon(`${NETNS_ADDRESS}:0`, `local://${join(scratch, "builder-b")}`, join(scratch, "bundles-b"), true);
    try {
      assert.match(builder.url, new RegExp(`^grpc\\+http://${NETNS_ADDRESS.replaceAll(".", "\\.")}:\\d+$`));
      const pushed = await build(builder.url, sharedStore.url, sharedStore.url);
      assert.equal(pushed.inCoordinatorStore, true);
      assert.equal(pushed.inBuilderStore, false, "pushed: the builder's own store never held the outputs");

      const streamed = await build(builder.url, privateStore.url, privateStore.url);
      assert.equal(streamed.inBuilderStore, true, "built on the builder's own store");
      assert.equal(streamed.inCoordinatorStore, true, "and brought to the coordinator's");
      assert.equal(streamed.log, "built\n");
      assert.deepEqual(streamed.outputs, pushed.outputs);
    } finally {
      await builder.stop();
      await privateStore.stop();
      await sharedStore.stop();
    }
  });
});
