// The OCI runtime spec (config.json) of one build, close to Nix's sandbox: a read-only root with
// only what the build is given, inputs read-only, scratch space writable, a private /tmp, no
// network unless asked for, hostname `localhost`, and the builder running as Nix's build user
// (uid 1000, gid 100) without capabilities. runc runs as root, so no user namespace is needed:
// the build user is an ordinary unprivileged uid on the host as well, owning only its scratch
// directories.
import { CastoreError } from "../../castore/errors.ts";
import type { BuildRequest } from "../../proto/gen/tvix/build/v1/build_pb.js";

/** Nix's build user inside the sandbox ("nixbld"). */
export const BUILD_UID = 1000;
export const BUILD_GID = 100;

export interface Mount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** A host path bind-mounted read-only at `destination`. */
export function readOnlyBind(source: string, destination: string): Mount {
  return { destination, type: "bind", source, options: ["bind", "ro", "nosuid", "nodev"] };
}

/** A host directory bind-mounted writable at `destination`. */
export function writableBind(source: string, destination: string): Mount {
  return { destination, type: "bind", source, options: ["bind", "rw", "nosuid", "nodev"] };
}

/** The kernel file systems every build has (as in runc's default spec, without /sys). */
const SYSTEM_MOUNTS: Mount[] = [
  { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
  { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
  { destination: "/dev/pts", type: "devpts", source: "devpts", options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
  { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
  { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
  { destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "mode=1777"] },
];

const MASKED_PATHS = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi"];
const READ_ONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The environment as `KEY=value` strings. config.json is JSON, which runc decodes as UTF-8, so
 * a value must be UTF-8 to reach the builder byte for byte; any other value is refused rather
 * than changed.
 */
function environment(request: BuildRequest): string[] {
  return request.environmentVars.map(({ key, value }) => {
    try {
      return `${key}=${UTF8.decode(value)}`;
    } catch {
      throw new CastoreError("invalid-argument", `invalid build request: the value of environment variable ${key} is not UTF-8, which the OCI sandbox cannot pass on`);
    }
  });
}

/** config.json for `request` with the root at `root`; `mounts` come after the system ones, parents before children. */
export function runtimeSpec(request: BuildRequest, mounts: Mount[], root: string): object {
  const namespaces = ["pid", "ipc", "uts", "mount"];
  if (!request.constraints?.networkAccess) namespaces.push("network");
  const noCapabilities = { bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] };
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: BUILD_UID, gid: BUILD_GID },
      args: request.commandArgs,
      env: environment(request),
      cwd: `/${request.workingDir}`,
      capabilities: noCapabilities,
      // As Nix: no core dumps of crashing builders; the other limits are the builder host's
      // (raising them needs CAP_SYS_RESOURCE, which a builder in a container may not have).
      rlimits: [{ type: "RLIMIT_CORE", hard: 0, soft: 0 }],
      noNewPrivileges: true,
    },
    root: { path: root, readonly: true },
    hostname: "localhost",
    mounts: [...SYSTEM_MOUNTS, ...mounts],
    linux: {
      namespaces: namespaces.map((type) => ({ type })),
      // No devices beyond runc's defaults (null, zero, full, random, urandom, tty, ptmx).
      resources: { devices: [{ allow: false, access: "rwm" }] },
      maskedPaths: MASKED_PATHS,
      readonlyPaths: READ_ONLY_PATHS,
    },
  };
}
