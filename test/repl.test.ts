// `tvix repl` as a user runs it, a separate process fed over pipes (and once through a
// pseudo-terminal): bindings, :p, :t, :a, :l, :r, errors and what comes after them, multi-line
// input, recursion that overflows the stack, Ctrl-C. Where real Nix 2.8 is installed the same
// transcript goes through `nix repl` too and must come out the same, colours aside (Nix 2.8
// colours values even into a pipe; we only do on a terminal).
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const TVIX = fileURLToPath(new URL("../bin/tvix.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "tvix-repl-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** History and anything else a repl keeps go to the temporary directory, never to the user's. */
const ENV = { ...process.env, XDG_DATA_HOME: join(work, "data"), NIX_PATH: "", NO_COLOR: "" };

writeFileSync(
  join(work, "lib.nix"),
  `{ a = 1;
  f = x:
    x + 1;
  s = "hi";
  d = derivation { name = "d"; builder = "/bin/sh"; system = "x86_64-linux"; };
}
`,
);
writeFileSync(join(work, "args.nix"), "{ n ? 5 }: { inherit n; m = n * 2; }\n");
mkdirSync(join(work, "pkgs"));
writeFileSync(join(work, "pkgs", "default.nix"), "{ hello = \"world\"; }\n");

interface Transcript {
  stdout: string;
  stderr: string;
  status: number | null;
}

function run(command: string, args: string[], input: string): Transcript {
  const result = spawnSync(command, args, { cwd: work, env: ENV, input, encoding: "utf8", timeout: 120_000 });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

function tvixRepl(input: string[], args: string[] = []): Transcript {
  return run(process.execPath, [TVIX, "repl", ...args], input.map((line) => `${line}\n`).join(""));
}

/** Nix's text with its colours taken out, and without the welcome line (which names the program). */
function comparable(t: Transcript): Transcript {
  const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
  return { stdout: plain(t.stdout), stderr: plain(t.stderr).replace(/^Welcome to .*\n/, ""), status: t.status };
}

const hasNix = spawnSync("nix", ["--version"], { encoding: "utf8" }).stdout?.startsWith("nix (Nix) 2.8");

/** Inputs whose output Nix 2.8 and we agree on, every repl feature touched once at least. */
const TRANSCRIPT = [
  "1 + 1",
  '{ a = 1; b = { c = 2; }; d = [ 1 [ 2 ] ]; e = [ ]; f = { }; "if" = 1; "a b" = "x${"y"}\\${"; }',
  "x = 3",
  "x",
  "x = x + 1",
  "x",
  "  z   =   5  ",
  "z",
  "foo",
  "(x: x)",
  "builtins.map",
  "builtins.map (x: x)",
  "let y = { a = 1; }; in { b = y; c = y; }",
  ":p let y = { a = 1; }; in { b = y; c = y; l = [ y y ]; }",
  ":p [ [ ] { } ]",
  "[ [ ] { } ]",
  ':t 1', ':t "a"', ':t "${./.}"', ":t builtins.map", ":t map (x: x)", ":t { }", ":t null", ":t 1.5", ":t ./.", ":t x: x", ":t [ ]", ":t true",
  "1.0",
  "3.14159265",
  '"a\\nb\\t\\"q\\""',
  "./foo",
  "true",
  "null",
  "-1",
  "{ a = 1;",
  "b = 2; }",
  "",
  "   ",
  ":foo",
  "let x = x; in x",
  '[ (throw "boom") 2 ]',
  '{ a = throw "boom"; }',
  '{ a = abort "x"; }',
  't = throw "a"',
  "t",
  "t",
  "assert false; 1",
  "[ (assert false; 1) ]",
  'builtins.trace "hi" 1',
  ":a { w = 1; v = 2; }",
  "w",
  ':a "s"',
  ":l lib.nix",
  "a",
  "f",
  "d",
  "[ d ]",
  ":p { x = d; }",
  "d.drvPath",
  ":l args.nix",
  "m",
  ":l <pkgs>",
  "hello",
  "q = 7",
  ":r",
  "q",
  "n",
  "a.b = 1",
  "a==1",
  "__curPos",
  'builtins.listToAttrs [ { name = "1a"; value = 1; } ]',
  "y = 1 +",
  "2",
  "y",
  ":t",
  "1",
  "map (x: x.a) [ { } ]",
  "import ./args.nix",
  ":q",
  "1 + 1",
];

describe("tvix repl over pipes", () => {
  it("prints what Nix 2.8's repl prints", { skip: !hasNix && "Nix 2.8 is not installed" }, () => {
    const args = ["--arg", "n", "10", "-I", `pkgs=${join(work, "pkgs")}`];
    const ours = comparable(tvixRepl(TRANSCRIPT, args));
    const nix = comparable(run("nix", ["repl", ...args], TRANSCRIPT.map((line) => `${line}\n`).join("")));
    assert.equal(ours.stdout, nix.stdout);
    assert.equal(ours.stderr, nix.stderr);
    assert.equal(ours.status, nix.status);
  });

  it("binds, prints to depth 1, prints deeply with :p and describes with :t", () => {
    const t = tvixRepl(["x = { a.b = [ 1 ]; }", "x", ":p x", ":t x.a.b", "x.a"]);
    assert.equal(
      t.stdout,
      [
        "nix-repl> x = { a.b = [ 1 ]; }\n",
        "nix-repl> x\n{ a = { ... }; }\n",
        "nix-repl> :p x\n{ a = { b = [ 1 ]; }; }\n",
        "nix-repl> :t x.a.b\na list\n",
        "nix-repl> x.a\n{ b = [ ... ]; }\n",
        "nix-repl> ",
      ].join("\n"),
    );
    assert.equal(t.stderr, "Welcome to tvix repl (Nix 2.8). Type :? for help.\n\n");
    assert.equal(t.status, 0);
  });

  it("loads a file's attributes, reloads it after a change, and drops bindings on :r", async (t) => {
    const file = join(work, "changing.nix");
    writeFileSync(file, "{ v = 1; }\n");
    const repl = new ReplProcess(process.execPath, [TVIX, "repl"]);
    t.after(() => repl.kill());
    await repl.type(":l changing.nix\nv\nb = 2\n", /nix-repl> b = 2\n\nnix-repl> $/);
    writeFileSync(file, "{ v = 2; }\n");
    await repl.type(":r\nv\nb\n", /nix-repl> b\n\nnix-repl> $/);
    assert.equal(await repl.end(), 0);
    assert.match(repl.screen, /nix-repl> v\n1\n\n/);
    assert.match(repl.screen, /nix-repl> :r\n\nnix-repl> v\n2\n\n/);
    assert.match(repl.errors, /Added 1 variables\.\nLoading 'changing\.nix'\.\.\.\nAdded 1 variables\.\nerror: undefined variable 'b'/);
  });

  it("goes on after errors, showing what was printed before one and «error: …» for a throw inside", () => {
    const t = tvixRepl(["{ a = abort \"x\"; }", "[ 1 (throw \"boom\") 3 ]", "1 + 1"]);
    assert.match(t.stdout, /nix-repl> \{ a = abort "x"; \}\n\{ a = \nnix-repl> /);
    assert.match(t.stdout, /\[ 1 «error: error: boom[^»]*» 3 \]\n/);
    assert.match(t.stdout, /nix-repl> 1 \+ 1\n2\n/);
    assert.match(t.stderr, /error: evaluation aborted with the following error message: 'x'/);
  });

  it("survives infinite recursion and a stack overflow, keeping its variables", () => {
    const t = tvixRepl(["k = 42", "let x = x; in x", "let f = n: f (n + 1); in f 0", "x = throw \"t\"", "x", "x", "k"]);
    assert.match(t.stderr, /error: infinite recursion encountered/);
    assert.match(t.stderr, /error: stack overflow \(possible infinite recursion\)\n/);
    // A thunk whose evaluation failed fails the same way again, not as infinite recursion.
    assert.equal(t.stderr.match(/error: t\n/g)?.length, 2);
    assert.match(t.stdout, /nix-repl> k\n42\n\nnix-repl> $/);
    assert.equal(t.status, 0);
  });

  it("waits for the rest of an unfinished expression, and takes a syntax error as final", () => {
    const t = tvixRepl(["let", "  a = 1;", "in a +", "", "1", "(1 +", ") 2"]);
    assert.match(t.stdout, /nix-repl> let\n {10}  a = 1;\n {10}in a \+\n {10}\n {10}1\n2\n/);
    assert.match(t.stderr, /error: syntax error, unexpected '\)'/);
  });

  it("toggles error traces with :st, keeping its variables", () => {
    const t = tvixRepl(["k = 1", ":st", "map (x: x.a) [ { } ]", ":st false", "k"]);
    assert.match(t.stdout, /showing error traces\n/);
    assert.match(t.stderr, /while evaluating anonymous lambda/);
    assert.match(t.stdout, /not showing error traces\n\nnix-repl> k\n1\n/);
  });

  it("exits with 1 when a file given at the start does not load", () => {
    const t = tvixRepl(["1"], ["missing.nix"]);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /Loading 'missing\.nix'\.\.\.\nerror: .*missing\.nix': No such file or directory\n$/);
    assert.equal(t.stdout, "");
  });
});

/** A repl process driven step by step: type some keys, wait for the screen to show something. */
class ReplProcess {
  screen = "";
  errors = "";
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], env: NodeJS.ProcessEnv = ENV) {
    this.child = spawn(command, args, { cwd: work, env });
    this.child.stdout?.on("data", (chunk: Buffer) => (this.screen += chunk.toString("utf8")));
    this.child.stderr?.on("data", (chunk: Buffer) => (this.errors += chunk.toString("utf8")));
    this.exited = new Promise((resolve) => this.child.on("exit", resolve));
  }

  /** Waits for the output to match `pattern` (a terminal's carriage returns taken out). */
  async until(pattern: RegExp): Promise<void> {
    for (let waited = 0; !pattern.test(this.screen.replaceAll("\r", "")); waited += 50) {
      if (waited > 60_000) throw new Error(`timed out waiting for ${pattern}; the screen shows:\n${JSON.stringify(this.screen + this.errors)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Writes keys in one go (a terminal sees them as typed together) and waits for `pattern`. */
  async type(keys: string, pattern: RegExp): Promise<void> {
    this.child.stdin?.write(keys);
    await this.until(pattern);
  }

  /** Ends the input and returns the exit status. */
  end(): Promise<number | null> {
    this.child.stdin?.end();
    return this.exited;
  }

  /** Stops the process if it is still running (after a failed step). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

describe("tvix repl on a terminal", () => {
  it("colours values, completes with Tab and is interrupted by Ctrl-C", { skip: !hasScript && "script(1) is not installed" }, async (t) => {
    // script(1) gives the repl a pseudo-terminal; keys written together are seen as pasted.
    const repl = new ReplProcess("script", ["-qfec", `${process.execPath} ${TVIX} repl`, "/dev/null"], { ...ENV, TERM: "xterm" });
    t.after(() => repl.kill());
    await repl.until(/nix-repl> /);
    await repl.type("k = 41\r", /k = 41\n[^]*nix-repl> /);
    await repl.type("k + 1\r", /\x1b\[36;1m42\x1b\[0m/);
    await repl.type("builtins.attrN", /attrN/);
    await repl.type("\t", /builtins\.attrNames/);
    await repl.type(" { q = 1; }\r", /\[ \x1b\[35;1m"q"\x1b\[0m \]/);
    await repl.type("let f = n: if n == 0 then 1 else f (n - 1) + f (n - 1); in f 60\r", /in f 60\n/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await repl.type("\x03", /error: interrupted by the user/);
    await repl.type("k\r", /\x1b\[36;1m41\x1b\[0m/);
    await repl.type(":q\r", /:q/);
    assert.equal(await repl.end(), 0);
    assert.match(readFileSync(join(work, "data", "tvix", "repl-history"), "utf8"), /^k = 41\nk \+ 1\n[^]*\n:q\n$/);
  });
});
