// A throw-away Ceph cluster with an S3 gateway, for tests against a real S3 server: one monitor,
// one OSD on memstore (RAM, nothing on disk but logs), and radosgw, all on 127.0.0.1 with free
// ports, auth off, under one temporary directory. `stop` kills the daemons and removes the
// directory; a watchdog shell does the same if the test process dies without calling it.
// Needs Debian's ceph-mon, ceph-osd, radosgw and ceph-common (scripts/setup installs them).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { accessSync, appendFileSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const PACKAGES = "ceph-mon ceph-osd radosgw ceph-common";
const PROGRAMS = ["monmaptool", "ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "ceph"];
const START_TIMEOUT_MS = 90_000;

export interface Radosgw {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Seconds from the first command to the gateway answering. */
  startSeconds: number;
  stop(): Promise<void>;
}

/** `count` distinct ports free on 127.0.0.1 (all held open at once, then released). */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(0, "127.0.0.1", resolve);
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function onPath(program: string): boolean {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function checkInstalled(): void {
  const missing = PROGRAMS.filter((program) => !onPath(program));
  if (missing.length > 0) {
    throw new Error(`Ceph is not installed (missing ${missing.join(", ")}): run scripts/setup, or apt-get install ${PACKAGES}`);
  }
}

function config(dir: string, monPort: number, rgwPort: number, fsid: string): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
# No cephx: everything talks plain, with CRC checks (the default "secure" mode needs keys).
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/log/$name.log
keyring = /dev/null
mon data = ${dir}/mon.$id
mon data avail warn = 1
mon data avail crit = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd data = ${dir}/osd.$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0

[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw data = ${dir}/rgw
`;
}

export async function startRadosgw(): Promise<Radosgw> {
  checkInstalled();
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "tvix-ceph-"));
  const conf = join(dir, "ceph.conf");
  const pidFile = join(dir, "pids");
  writeFileSync(pidFile, "");
  // Kills the daemons and removes the directory once this process is gone, however it ended.
  const watchdog = spawn("sh", ["-c", `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 $(cat "$1") 2>/dev/null; rm -rf "$2"`, "watchdog", pidFile, dir], {
    detached: true,
    stdio: "ignore",
  });
  watchdog.unref();
  const daemons: ChildProcess[] = [];
  let spawnError: Error | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await Promise.all(
        daemons.map(
          (daemon) =>
            new Promise<void>((resolve) => {
              if (daemon.pid === undefined || daemon.exitCode !== null || daemon.signalCode !== null) return resolve();
              daemon.once("exit", () => resolve());
              daemon.kill("SIGKILL");
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
      watchdog.kill("SIGKILL");
    })());

  const ceph = (program: string, args: string[]): Promise<{ stdout: string }> => run(program, ["-c", conf, ...args], { cwd: dir });
  const startDaemon = (name: string, program: string, args: string[]): void => {
    const out = openSync(join(dir, "log", `${name}.out`), "a");
    const daemon = spawn(program, ["-c", conf, "-f", ...args], { cwd: dir, stdio: ["ignore", out, out] });
    closeSync(out);
    daemons.push(daemon);
    daemon.on("error", (err) => (spawnError ??= err));
    if (daemon.pid !== undefined) appendFileSync(pidFile, `${daemon.pid}\n`);
  };
  const logTail = (): string =>
    ["mon.a", "osd.0", "client.rgw"]
      .map((name) => {
        let text = "";
        for (const file of [`${name}.out`, `${name}.log`]) {
          try {
            text += readFileSync(join(dir, "log", file), "latin1");
          } catch {
            // not written yet
          }
        }
        return `--- ${name}\n${text.split("\n").slice(-15).join("\n")}`;
      })
      .join("\n");

  try {
    for (const sub of ["run", "log", "mon.a", "osd.0", "rgw"]) mkdirSync(join(dir, sub));
    const [monPort, rgwPort] = await freePorts(2);
    const fsid = randomUUID();
    writeFileSync(conf, config(dir, monPort, rgwPort, fsid));
    await run("monmaptool", ["--create", "--addv", "a", `[v2:127.0.0.1:${monPort}]`, "--fsid", fsid, join(dir, "monmap")]);
    await ceph("ceph-mon", ["--mkfs", "-i", "a", "--monmap", join(dir, "monmap")]);
    startDaemon("mon.a", "ceph-mon", ["-i", "a"]);
    const osdUuid = randomUUID();
    const osdId = (await ceph("ceph", ["--connect-timeout", "30", "osd", "new", osdUuid])).stdout.trim();
    await ceph("ceph-osd", ["-i", osdId, "--mkfs", "--osd-uuid", osdUuid]);
    startDaemon("osd.0", "ceph-osd", ["-i", osdId]);
    // radosgw creates its pools itself and answers once they are usable.
    startDaemon("client.rgw", "radosgw", ["-n", "client.rgw"]);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    for (;;) {
      if (spawnError !== undefined) throw spawnError;
      const exited = daemons.find((d) => d.exitCode !== null || d.signalCode !== null);
      if (exited !== undefined) throw new Error(`a Ceph daemon (${exited.spawnfile}) exited while starting:\n${logTail()}`);
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`radosgw did not answer within ${START_TIMEOUT_MS / 1000} s:\n${logTail()}`);
      try {
        if ((await fetch(endpoint, { signal: AbortSignal.timeout(2000) })).ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const accessKeyId = randomBytes(10).toString("hex").toUpperCase();
    const secretAccessKey = randomBytes(20).toString("base64");
    await ceph("radosgw-admin", ["user", "create", "--uid=tvix-test", "--display-name=tvix test", `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`]);
    return { endpoint, accessKeyId, secretAccessKey, startSeconds: (performance.now() - started) / 1000, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
