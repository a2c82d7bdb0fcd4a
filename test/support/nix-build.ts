// Real Nix 2.8's nix-build, the oracle for builds: run as root, in Nix's sandbox, on a
// throw-away chroot store (`--store DIR`: DIR/nix/store holds the paths, named as if in
// /nix/store), so nothing the host's /nix/store has can leak in and nothing is left behind.
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * What makes nix-build sandboxed and offline whatever /etc/nix/nix.conf says (Debian ships
 * `sandbox = false`): the sandbox on, no fallback to building without it when it cannot be
 * set up, builds as the `nixbld` users, and no binary cache to ask.
 */
export const NIX_SANDBOX_OPTIONS = [
  ["sandbox", "true"],
  ["sandbox-fallback", "false"],
  ["build-users-group", "nixbld"],
  ["substituters", ""],
].flatMap(([name, value]) => ["--option", name, value]);

/** A fresh chroot store for Nix; `dispose` removes it (Nix makes its store paths read-only). */
export function freshNixStore(): { dir: string; dispose: () => void } {
  requireBuildUsers();
  const dir = mkdtempSync(join(tmpdir(), "tvix-nix-store-"));
  return {
    dir,
    dispose: () => {
      execFileSync("chmod", ["-R", "u+w", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A build failed: its exit code and what Nix printed. */
export class NixBuildError extends Error {
  override name = "NixBuildError";
  readonly code: number;
  readonly stderr: string;

  constructor(code: number, stderr: string) {
    super(`nix-build exited with ${code}:\n${stderr.split("\n").slice(-15).join("\n")}`);
    this.code = code;
    this.stderr = stderr;
  }
}

/**
 * `nix-build ARGS…` into the chroot store `store`, sandboxed, with `-o outLink` or else
 * `--no-out-link`; resolves with the output paths it prints. Asynchronous, so that a server in
 * the caller's process can answer a fixed-output build's download.
 */
export async function nixBuild(store: string, args: string[], options: { jobs?: number; outLink?: string } = {}): Promise<string[]> {
  const link = options.outLink === undefined ? ["--no-out-link"] : ["-o", options.outLink];
  const argv = ["--store", store, ...NIX_SANDBOX_OPTIONS, "--max-jobs", String(options.jobs ?? 1), ...link, ...args];
  try {
    const { stdout } = await run("nix-build", argv, { encoding: "utf8", maxBuffer: 1 << 26 });
    return stdout.split("\n").filter((line) => line !== "");
  } catch (err) {
    const failure = err as { code?: number; stderr?: string };
    if (typeof failure.code !== "number") throw err;
    throw new NixBuildError(failure.code, failure.stderr ?? "");
  }
}

/** One path as `nix path-info --json` describes it. */
export interface NixPathInfo {
  path: string;
  narHash: string;
  narSize: number;
  references: string[];
  deriver?: string;
  ca?: string;
}

/**
 * `nix path-info --json` of `paths` in the chroot store `store`; `recursive` adds their
 * closures. A .drv path stands for the derivation's outputs unless `derivation` is set.
 */
export async function nixPathInfos(store: string, paths: string[], options: { recursive?: boolean; derivation?: boolean } = {}): Promise<NixPathInfo[]> {
  const flags = [...(options.recursive ? ["--recursive"] : []), ...(options.derivation ? ["--derivation"] : [])];
  const { stdout } = await run("nix", ["--extra-experimental-features", "nix-command", "path-info", "--store", store, "--json", ...flags, ...paths], { encoding: "utf8", maxBuffer: 1 << 26 });
  return JSON.parse(stdout) as NixPathInfo[];
}

/** Nix builds as the members of `nixbld`; without them it refuses to build as root in a sandbox. */
function requireBuildUsers(): void {
  try {
    execFileSync("getent", ["group", "nixbld"], { stdio: "ignore" });
  } catch {
    throw new Error("the group 'nixbld' (Nix's build users) is missing: Debian's nix-setup-systemd creates it and nixbld1…10 (or: groupadd --system nixbld; useradd --system -g nixbld -G nixbld nixbldN)");
  }
}
