// A BuildService for the remote-build tests that runs the request's command on the host, with
// no sandbox: the inputs are rendered from the store under a temporary root (at
// `<root>/<inputs_dir>/<name>`), the command runs in `<root>/<working_dir>` with the request's
// environment plus BUILD_ROOT, and the outputs are ingested into the store. It does the real
// work a builder does with the store (reads inputs, writes outputs, streams the log, dies on
// abort) without needing runc, so the gRPC layer is tested on its own.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ingestPath } from "../../src/castore/fs/ingest.ts";
import { renderNode } from "../../src/castore/fs/render.ts";
import { nodeFromProto } from "../../src/castore/proto.ts";
import type { BuildRequest } from "../../src/proto/gen/tvix/build/v1/build_pb.js";
import type { Store } from "../../src/store/composition.ts";
import { BuildError, type BuildOptions, type BuildOutput, type BuildService } from "../../src/build/build-service.ts";

/** Indices of the needles occurring in any file under `path`. */
async function foundNeedles(path: string, needles: readonly string[]): Promise<number[]> {
  const files = await readdir(path, { recursive: true, withFileTypes: true }).then(
    (entries) => entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)),
    () => [path],
  );
  const contents = (await Promise.all(files.map((file) => readFile(file, "latin1")))).join("\n");
  return needles.flatMap((needle, i) => (contents.includes(needle) ? [i] : []));
}

export class HostBuildService implements BuildService {
  private readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  async doBuild(request: BuildRequest, options: BuildOptions = {}): Promise<BuildOutput[]> {
    const root = await mkdtemp(join(tmpdir(), "host-build-"));
    try {
      for (const input of request.inputs) {
        const node = nodeFromProto(input);
        await mkdir(join(root, request.inputsDir), { recursive: true });
        await renderNode(node, this.store.blobs, this.store.directories, join(root, request.inputsDir, node.name));
      }
      for (const scratch of request.scratchPaths) await mkdir(join(root, scratch), { recursive: true });
      for (const file of request.additionalFiles) {
        await mkdir(dirname(join(root, file.path)), { recursive: true });
        await writeFile(join(root, file.path), file.contents);
      }
      const env: Record<string, string> = { BUILD_ROOT: root };
      for (const variable of request.environmentVars) env[variable.key] = Buffer.from(variable.value).toString("latin1");
      const [command, ...args] = request.commandArgs;
      const child = spawn(command, args, { cwd: join(root, request.workingDir), env, stdio: ["ignore", "pipe", "pipe"], signal: options.signal });
      let tail = "";
      const onData = (chunk: Buffer) => {
        tail = (tail + chunk.toString("latin1")).slice(-1000);
        options.onLog?.(chunk);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      const code = await new Promise<number | null>((resolve, reject) => {
        child.once("error", reject);
        child.once("close", resolve);
      });
      if (code !== 0) throw new BuildError(`builder failed with exit code ${code}`, tail);
      const outputs: BuildOutput[] = [];
      for (const output of request.outputs) {
        const path = join(root, output);
        outputs.push({
          node: await ingestPath(path, this.store.blobs, this.store.directories),
          needles: await foundNeedles(path, request.refscanNeedles),
        });
      }
      return outputs;
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {}
}
