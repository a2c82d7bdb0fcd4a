// The OCI builder with real runc: requests made by hand, busybox from the store as the builder.
// Shows what builds see (environment, user, hostname, /tmp, /bin/sh) and that the sandbox holds:
// no loopback server without network access, no host files, no writes outside scratch space.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readBlob } from "../src/castore/blob-service.ts";
import type { Node } from "../src/castore/node.ts";
import { nodeToProto } from "../src/castore/proto.ts";
import { BuildError, type BuildOptions, type BuildOutput } from "../src/build/build-service.ts";
import { OciBuildService } from "../src/build/oci/build-service.ts";
import { BuildRequestSchema, type BuildRequest } from "../src/proto/gen/tvix/build/v1/build_pb.js";
import { addLocalPath } from "../src/store/add-path.ts";
import { openStore, type Store } from "../src/store/composition.ts";

const OUT = "nix/store/8k2v9x2hyzgmwi3m1m04hq6kws5k6lqm-out";
const DEV = "nix/store/jsd1xq7hlz9plcvd5zhx1g9wvyvbfnza-out-dev";

let work: string;
let store: Store;
let builder: OciBuildService;
let busybox: Node;
let busyboxPath: string;

type Init = Exclude<MessageInitShape<typeof BuildRequestSchema>, BuildRequest>;

/** A Nix-like request running `script` with busybox's sh; `fields` override the defaults. */
function request(script: string, fields: Init & { env?: Record<string, string> } = {}): BuildRequest {
  const env: Record<string, string> = { HOME: "/homeless-shelter", NIX_BUILD_TOP: "/build", PATH: `${busyboxPath}/bin`, TMPDIR: "/build", out: `/${OUT}`, ...fields.env };
  const { env: _, ...rest } = fields;
  return create(BuildRequestSchema, {
    inputs: [nodeToProto(busybox)],
    commandArgs: [`${busyboxPath}/bin/sh`, "-e", "-c", script],
    workingDir: "build",
    scratchPaths: ["build", "nix/store"],
    inputsDir: "nix/store",
    outputs: [OUT],
    environmentVars: Object.keys(env)
      .sort()
      .map((key) => ({ key, value: Buffer.from(env[key]) })),
    constraints: { system: "x86_64-linux" },
    ...rest,
  });
}

async function outputFile(output: BuildOutput, name?: string): Promise<string> {
  let node = output.node;
  if (name !== undefined) {
    assert.equal(node.kind, "directory");
    const directory = await store.directories.get(node.digest);
    node = directory!.nodes().find((child) => child.name === name)!;
  }
  assert.equal(node?.kind, "file");
  return (await readBlob(store.blobs, node.digest))!.toString();
}

/** The single output of a build that writes its findings to $out, as text. */
async function run(script: string, fields: Parameters<typeof request>[1] = {}, options: BuildOptions = {}): Promise<string> {
  const [output] = await builder.doBuild(request(script, fields), options);
  return outputFile(output);
}

function bundles(): string[] {
  // The service's rendered inputs and shared roots stay; bundles go.
  return readdirSync(join(work, "bundles")).filter((name) => !name.startsWith("inputs-") && !name.startsWith("roots-"));
}

before(async () => {
  assert.ok(existsSync("/bin/busybox"), "busybox-static must be installed (scripts/setup)");
  work = mkdtempSync(join(tmpdir(), "build-sandbox-"));
  // busybox with its applets as relative symlinks, as a store path.
  const tree = join(work, "busybox");
  mkdirSync(join(tree, "bin"), { recursive: true });
  copyFileSync("/bin/busybox", join(tree, "bin", "busybox"));
  for (const applet of execFileSync("/bin/busybox", ["--list"]).toString().split("\n").filter(Boolean)) {
    if (applet !== "busybox") symlinkSync("busybox", join(tree, "bin", applet));
  }
  store = await openStore("memory://");
  const info = await addLocalPath(store, tree, { name: "busybox" });
  busybox = { ...info.node, name: info.storePath.baseName };
  busyboxPath = `/nix/store/${info.storePath.baseName}`;
  builder = new OciBuildService(store, { bundleRoot: join(work, "bundles") });
});

after(async () => {
  await builder?.close();
  await store?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("what a build sees", () => {
  it("writes $out, as the build user, in /build, with the environment given", async () => {
    const text = await run('{ id -u; id -g; pwd; hostname; echo "$HOME $NIX_BUILD_TOP $FOO"; } > $out', { env: { FOO: "bar baz é" } });
    const [uid, gid, cwd, hostname, env] = text.split("\n");
    assert.notEqual(uid, "0");
    assert.equal(uid, "1000");
    assert.equal(gid, "100");
    assert.equal(cwd, "/build");
    assert.equal(hostname, "localhost");
    assert.equal(env, "/homeless-shelter /build bar baz é");
    assert.deepEqual(bundles(), [], "the bundle is removed");
  });

  it("builds several outputs, each its own node", async () => {
    const outputs = await builder.doBuild(
      request(`mkdir -p $out/bin $dev; echo main > $out/bin/x; echo dev > $dev/y; ln -s ${busyboxPath} $out/link`, {
        outputs: [DEV, OUT].sort(),
        env: { dev: `/${DEV}` },
      }),
    );
    assert.equal(outputs.length, 2);
    // In the order of the request's (sorted) outputs.
    const [out, dev] = outputs;
    assert.ok(OUT < DEV);
    assert.equal(await outputFile(dev, "y"), "dev\n");
    assert.equal(out.node.kind, "directory");
    assert.equal(out.node.name, "");
    const listing = (await store.directories.get(out.node.kind === "directory" ? out.node.digest : new Uint8Array()))!.nodes();
    assert.deepEqual(
      listing.map((node) => [node.name, node.kind]),
      [
        ["bin", "directory"],
        ["link", "symlink"],
      ],
    );
  });

  it("has a private, writable /tmp and a read-only root", async () => {
    writeFileSync("/tmp/tvix-host-tmp-marker", "host");
    try {
      const text = await run("echo ok > /tmp/f; cat /tmp/f > $out; ls -A /tmp >> $out; touch /etc/x 2>> $out || echo root-ro >> $out");
      const lines = text.split("\n");
      assert.equal(lines[0], "ok");
      assert.equal(lines[1], "f", "only the build's own file is in /tmp");
      assert.match(text, /Read-only file system/);
      assert.match(text, /root-ro/);
    } finally {
      rmSync("/tmp/tvix-host-tmp-marker");
    }
  });

  it("has /bin/sh only when it asks for it", async () => {
    assert.equal(await run("if [ -e /bin/sh ]; then echo yes; else echo no; fi > $out"), "no\n");
    const withSh = await run("/bin/sh -c 'echo from-bin-sh' > $out", { constraints: { system: "x86_64-linux", provideBinSh: true } });
    assert.equal(withSh, "from-bin-sh\n");
    // Roots are shared between builds, but not with a mount point another build asked for.
    assert.equal(await run("if [ -e /bin/sh ]; then echo yes; else echo no; fi > $out"), "no\n");
  });

  it("gets its additional files in the build directory, owned by the build user", async () => {
    const text = await run("cat .attrs.json > $out; stat -c %u .attrs.json >> $out", {
      additionalFiles: [{ path: "build/.attrs.json", contents: Buffer.from('{"a":1}\n') }],
    });
    assert.equal(text, '{"a":1}\n1000\n');
  });
});

describe("the sandbox holds", () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createServer((socket) => socket.end("hello from the host\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("a build without network access cannot reach a server on the host's loopback", async () => {
    const text = await run(`if nc -w 2 127.0.0.1 ${port} > got 2> err; then echo connected; else echo refused; fi > $out; cat got >> $out`);
    assert.equal(text, "refused\n");
  });

  it("a build with network access (fixed-output) can", async () => {
    const text = await run(`nc -w 5 127.0.0.1 ${port} > $out`, { constraints: { system: "x86_64-linux", networkAccess: true } });
    assert.equal(text, "hello from the host\n");
  });

  it("cannot read host files nor see store paths that are not inputs", async () => {
    const secret = join(work, "secret");
    writeFileSync(secret, "top secret");
    mkdirSync("/nix/store", { recursive: true });
    const text = await run(`{ cat ${secret} || echo no-secret; cat /etc/shadow || echo no-shadow; ls /nix/store; ls / ; } > $out 2>&1`);
    assert.doesNotMatch(text, /top secret/);
    assert.match(text, /no-secret/);
    assert.match(text, /no-shadow/);
    const storeListing = text.split("\n").filter((line) => /^[0-9a-z]{32}-/.test(line) && line !== OUT.slice("nix/store/".length));
    assert.deepEqual(storeListing, [busyboxPath.slice("/nix/store/".length)], "only the input is in /nix/store");
  });

  it("cannot write into its inputs, the root or outside its scratch space", async () => {
    const text = await run(
      `{ ${[
        `touch ${busyboxPath}/new 2>/dev/null && echo input-writable || echo input-ro`,
        `rm ${busyboxPath}/bin/sh 2>/dev/null && echo input-deletable || echo input-kept`,
        "touch /new 2>/dev/null && echo root-writable || echo root-ro",
        "mkdir /etc/x 2>/dev/null && echo etc-writable || echo etc-ro",
        "touch /proc/sys/kernel/x 2>/dev/null && echo proc-writable || echo proc-ro",
        "echo scratch > /build/f && echo build-writable",
      ].join("; ")}; } > $out`,
    );
    assert.equal(text, "input-ro\ninput-kept\nroot-ro\netc-ro\nproc-ro\nbuild-writable\n");
    assert.ok(existsSync(join(work, "bundles")), "bundle root still there");
  });
});

describe("refscan", () => {
  it("reports the needles found in contents and symlink targets, by index", async () => {
    const needles = ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", busyboxPath.slice(11, 43), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccccccccccccccc"];
    const [output] = await builder.doBuild(
      request(`mkdir $out; head -c 1048570 /dev/zero > $out/f; echo ${needles[3]} >> $out/f; ln -s ${busyboxPath}/bin/sh $out/sh`, { refscanNeedles: needles }),
    );
    assert.deepEqual(output.needles, [1, 3]);
  });
});

describe("failures", () => {
  it("a non-zero exit is a BuildError with the log tail", async () => {
    const log: Buffer[] = [];
    await assert.rejects(
      builder.doBuild(request("for i in $(seq 1 40); do echo line $i; done; exit 3"), { onLog: (chunk) => log.push(Buffer.from(chunk)) }),
      (err: BuildError) => {
        assert.ok(err instanceof BuildError);
        assert.equal(err.message, "build failed with exit code 3");
        const lines = err.logTail.split("\n");
        assert.equal(lines.length, 25);
        assert.equal(lines.at(-1), "line 40");
        return true;
      },
    );
    assert.match(Buffer.concat(log).toString(), /line 1\n[^]*line 40\n/, "the whole log was streamed");
    assert.deepEqual(bundles(), []);
  });

  it("a missing output is a BuildError", async () => {
    await assert.rejects(builder.doBuild(request("echo forgot the output")), (err: BuildError) => {
      assert.equal(err.message, `builder failed to produce output path '/${OUT}'`);
      assert.equal(err.logTail, "forgot the output");
      return true;
    });
    assert.deepEqual(bundles(), []);
  });

  it("the timeout kills the build", async () => {
    const start = Date.now();
    await assert.rejects(builder.doBuild(request("echo started; sleep 60; touch $out"), { timeoutSeconds: 1 }), (err: BuildError) => {
      assert.equal(err.message, "build timed out after 1 seconds");
      assert.equal(err.logTail, "started");
      return true;
    });
    assert.ok(Date.now() - start < 10_000);
    assert.deepEqual(bundles(), []);
  });

  it("the max-silent time kills a quiet build but not a talkative one", async () => {
    await assert.rejects(builder.doBuild(request("echo hi; sleep 60"), { maxSilentSeconds: 1 }), /build timed out after 1 seconds of silence/);
    assert.equal(await run("for i in 1 2 3; do echo tick; sleep 0.6; done; echo done > $out", {}, { maxSilentSeconds: 1 }), "done\n");
    assert.deepEqual(bundles(), []);
  });

  it("an abort kills the build", async () => {
    const controller = new AbortController();
    const build = builder.doBuild(request("sleep 60"), { signal: controller.signal, onLog: () => {} });
    setTimeout(() => controller.abort(), 300);
    await assert.rejects(build, /build was aborted/);
    assert.deepEqual(bundles(), []);
    // Only this builder's containers: other test files run builds at the same time.
    const containers = (JSON.parse(execFileSync("runc", ["list", "--format", "json"]).toString()) ?? []) as { id: string; bundle: string }[];
    assert.deepEqual(
      containers.filter((c) => c.bundle.startsWith(join(work, "bundles"))).map((c) => c.id),
      [],
    );
  });

  it("a bad request is refused before anything runs", async () => {
    await assert.rejects(builder.doBuild(request("true", { scratchPaths: ["nix/store", "build"] })), /scratch_paths is not sorted/);
    await assert.rejects(builder.doBuild(request("true", { workingDir: "../build" })), /working_dir "..\/build" is not a clean relative path/);
    await assert.rejects(builder.doBuild(request("true", { constraints: { system: "riscv64-linux" } })), /a 'riscv64-linux' build cannot run here/);
    assert.deepEqual(bundles(), []);
  });
});

describe("concurrency", () => {
  it("runs several builds at once", async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => run(`sleep 0.2; echo ${i} > $out`)));
    assert.deepEqual(results, ["0\n", "1\n", "2\n", "3\n", "4\n", "5\n"]);
  });
});
