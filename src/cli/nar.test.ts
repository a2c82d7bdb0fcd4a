import assert from "node:assert/strict";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { nixDump, runProcess, useSampleNar } from "../../test/support/nar.ts";
import { encodeTokens } from "../nix-compat/nar/wire.ts";

const TVIX = fileURLToPath(new URL("../../bin/tvix.js", import.meta.url));
const tvix = (args: string[], input?: Uint8Array) => runProcess(process.execPath, [TVIX, ...args], input);
const nixLs = (args: string[]) => runProcess("nix", ["--extra-experimental-features", "nix-command", "nar", "ls", ...args]);

describe("tvix nar", () => {
  const sample = useSampleNar("nar-cli");
  const narFile = (): string => join(sample.work, "tree.nar");

  before(() => writeFileSync(narFile(), sample.nar));

  it("dump writes what nix-store --dump writes", async () => {
    const result = await tvix(["nar", "dump", sample.tree]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(result.stdout, sample.nar);
  });

  it("dump stops cleanly when its reader goes away", async () => {
    const tree = join(sample.work, "large");
    mkdirSync(tree);
    writeFileSync(join(tree, "blob"), Buffer.alloc(40 << 20, 1));
    const result = await runProcess("bash", ["-c", `"${process.execPath}" "${TVIX}" nar dump "${tree}" | head -c 100 > /dev/null; echo "\${PIPESTATUS[0]}"`]);
    // The worker writing the NAR gets EPIPE; that must end the command, not hang it or print a stack trace.
    // Either quietly (as Nix, killed by SIGPIPE, is) or as a one-line error.
    const outcome = `${result.stdout.toString().trim()} ${JSON.stringify(result.stderr)}`;
    assert.ok(["0 \"\"", '1 "error: write: broken pipe\\n"'].includes(outcome), outcome);
  });

  it("restore unpacks stdin so that Nix dumps it back identically", async () => {
    const target = join(sample.work, "restored");
    const result = await tvix(["nar", "restore", target], sample.nar);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(await nixDump(target), sample.nar);
  });

  it("restore refuses a hostile NAR with its offset and leaves nothing", async () => {
    const parent = join(sample.work, "hostile");
    mkdirSync(parent);
    const evil = encodeTokens("nix-archive-1", "(", "type", "directory", "entry", "(", "name", "../escape", "node", "(", "type", "regular", "contents", "x", ")", ")", ")");
    const result = await tvix(["nar", "restore", join(parent, "target")], evil);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, "error: invalid NAR at offset 128: entry name '../escape' contains '/'\n");
    assert.deepEqual(readdirSync(parent), []);
    assert.ok(!readdirSync(sample.work).includes("escape"));
  });

  it("ls prints what nix nar ls prints", async () => {
    for (const args of [[], ["-R"], ["-l", "-R"], ["--json"], ["--json", "-R"], ["-d"]]) {
      const [ours, theirs] = await Promise.all([tvix(["nar", "ls", ...args, narFile(), "/"]), nixLs([...args, narFile(), "/"])]);
      assert.equal(ours.status, 0, ours.stderr);
      assert.deepEqual(ours.stdout, theirs.stdout, args.join(" "));
    }
    assert.deepEqual((await tvix(["nar", "ls", "-R", narFile()])).stdout, (await nixLs(["-R", narFile(), "/"])).stdout, "PATH defaults to /");
  });

  it("explains itself and refuses bad usage", async () => {
    for (const sub of ["dump", "restore", "ls"]) {
      const help = await tvix(["nar", sub, "--help"]);
      assert.equal(help.status, 0);
      assert.match(help.stdout.toString(), new RegExp(`^Usage: tvix nar ${sub} `));
    }
    const cases: [string[], RegExp][] = [
      [["nar", "dump"], /expected exactly one PATH/],
      [["nar", "dump", "a", "b"], /expected exactly one PATH/],
      [["nar", "restore"], /expected exactly one DIR/],
      [["nar", "ls"], /expected FILE\.nar/],
      [["nar", "ls", "-d", "--json", narFile()], /'--directory' is useless with '--json'/],
      [["nar", "ls", narFile(), "relative"], /not an absolute path: 'relative'/],
      [["nar", "ls", narFile(), "/missing"], /path '\/missing' does not exist/],
      [["nar", "dump", join(sample.work, "missing")], /no such file or directory/],
      [["nar", "restore", sample.tree], /it already exists/],
      [["nar", "frobnicate"], /not a 'tvix nar' subcommand/],
    ];
    for (const [args, message] of cases) {
      const result = await tvix(args, Buffer.alloc(0));
      assert.equal(result.status, 1, args.join(" "));
      assert.match(result.stderr, message, args.join(" "));
    }
  });
});
