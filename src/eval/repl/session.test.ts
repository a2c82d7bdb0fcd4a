import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { bytesToUtf8 } from "../../nix-compat/byte-string.ts";
import { createEvalState, evalAutoArgs } from "../instantiate.ts";
import { ReplSession } from "./session.ts";

const dir = mkdtempSync(join(tmpdir(), "tvix-repl-session-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A session without the store-aware builtins, and what it has written. */
function session(options: { colors?: boolean } = {}) {
  const setup = { autoArgs: [], include: [], showTrace: false, cwd: dir, nixPath: "", homeDir: dir };
  const written = { stdout: "", stderr: "" };
  const state = createEvalState(setup, undefined, (line) => (written.stderr += `${line}\n`));
  const repl = new ReplSession(
    state,
    { cwd: dir, autoArgs: evalAutoArgs(state, setup), colors: options.colors ?? false, showTrace: false },
    { stdout: (text) => (written.stdout += text), stderr: (text) => (written.stderr += text) },
  );
  /** Handles an input and returns what it wrote to stdout (as text), which is then cleared. */
  const say = (input: string): string => {
    assert.equal(repl.processInput(`${input}\n`), "done");
    const out = bytesToUtf8(written.stdout);
    written.stdout = "";
    return out;
  };
  return { repl, written, say };
}

describe("ReplSession", () => {
  it("prints one level deep, and everything with :p", () => {
    const { say } = session();
    assert.equal(say("{ a = { b = [ 1 { } ]; }; l = [ [ ] ]; }"), "{ a = { ... }; l = [ ... ]; }\n\n");
    assert.equal(say(":p { a = { b = [ 1 { } ]; }; l = [ [ ] ]; }"), "{ a = { b = [ 1 { } ]; }; l = [ [ ] ]; }\n\n");
  });

  it("prints a set or list met again as «repeated», keyed on the cell as Nix is", () => {
    const { say } = session();
    assert.equal(say(":p let y = [ 1 ]; in { a = y; b = y; c = [ 1 ]; }"), "{ a = [ 1 ]; b = «repeated»; c = [ 1 ]; }\n\n");
  });

  it("prints functions with their position, and strings without escaping ${", () => {
    const { say } = session();
    assert.equal(say("[ (x: x) map (map (x: x)) ]"), "[ «lambda @ (string):1:4» «primop» «primop-app» ]\n\n");
    assert.equal(say('"a${"$"}{b}\\n"'), '"a${b}\\n"\n\n');
  });

  it("colours values as Nix does when asked to", () => {
    const { say } = session({ colors: true });
    assert.equal(say('[ 1 "s" ./x null ]'), `[ \x1b[36;1m1\x1b[0m \x1b[35;1m"s"\x1b[0m \x1b[32;1m${dir}/x\x1b[0m \x1b[36;1mnull\x1b[0m ]\n\n`);
  });

  it("shows a throw inside a container in place, and the output before another error", () => {
    const { say, written } = session();
    assert.match(say('[ 1 (throw "t") ]'), /^\[ 1 «error: error: t[^»]*» \]\n\n$/);
    assert.equal(say('[ 1 (abort "a") ]'), "[ 1 \n");
    assert.match(written.stderr, /^error: evaluation aborted with the following error message: 'a'/);
  });

  it("binds lazily, and later bindings of a name hide earlier ones", () => {
    const { say, written } = session();
    assert.equal(say("x = throw \"not yet\""), "\n");
    assert.equal(say("x = 1"), "\n");
    assert.equal(say("y = x + 1"), "\n");
    assert.equal(say("x = 10"), "\n");
    assert.equal(say("y"), "2\n\n");
    assert.equal(say("map = 3"), "\n");
    assert.equal(say("map"), "3\n\n");
    assert.equal(written.stderr, "");
  });

  it("asks for more when the input ends too early, but not when a file does", () => {
    const { repl, written } = session();
    assert.equal(repl.processInput("{ a =\n"), "incomplete");
    assert.equal(repl.processInput("{ a =\n1; }\n"), "done");
    assert.equal(written.stdout, "{ a = 1; }\n\n");
    writeFileSync(join(dir, "cut.nix"), "{ a =");
    assert.equal(repl.processInput(":l cut.nix\n"), "done");
    assert.match(written.stderr, /^error: syntax error, unexpected end of file/);
  });

  it("describes values with :t, and adds a set's attributes with :a", () => {
    const { say, written } = session();
    assert.equal(say(":t builtins.map"), "the built-in function 'map'\n\n");
    assert.equal(say(':a { p = 1; q = "x"; }'), "\n");
    assert.equal(say(":t q"), "a string\n\n");
    assert.equal(written.stderr, "Added 2 variables.\n");
  });

  it("loads files, calling functions with their defaults, and forgets bindings on :r", () => {
    const { repl, say, written } = session();
    writeFileSync(join(dir, "f.nix"), "{ n ? 5 }: { m = n * 2; }\n");
    assert.equal(repl.start(["f.nix"]), true);
    assert.equal(written.stderr, "Loading 'f.nix'...\nAdded 1 variables.\n\n");
    assert.equal(say("m"), "10\n\n");
    say("k = 1");
    writeFileSync(join(dir, "f.nix"), "{ n ? 6 }: { m = n * 2; }\n");
    say(":r");
    assert.equal(say("m"), "12\n\n");
    say("k");
    assert.match(written.stderr, /error: undefined variable 'k'/);
  });

  it("reports a start-up file that fails to load", () => {
    const { repl, written } = session();
    assert.equal(repl.start(["missing.nix"]), false);
    assert.match(written.stderr, /^Loading 'missing\.nix'\.\.\.\nerror: .*missing\.nix': No such file or directory\n$/);
  });

  it("counts the inputs that change the scope, and toggles traces with :st", () => {
    const { repl, say } = session();
    const before = repl.scopeVersion;
    say("1 + 1");
    assert.equal(repl.scopeVersion, before);
    say("a = 1");
    assert.notEqual(repl.scopeVersion, before);
    assert.equal(say(":st"), "showing error traces\n\n");
    assert.equal(repl.showTrace, true);
    assert.equal(say(":st false"), "not showing error traces\n\n");
    assert.equal(repl.showTrace, false);
  });

  it("rejects unknown commands and stops on :q", () => {
    const { repl, say, written } = session();
    say(":nope");
    say(":b hello");
    assert.equal(written.stderr, "error: unknown command ':nope'\nerror: the command ':b' is not supported by tvix repl\n");
    assert.equal(repl.processInput(":q\n"), "quit");
  });

  it("completes variables, attributes and file names", () => {
    const { repl, say } = session();
    say("someVariable = { inner = 1; other = 2; }");
    say('failing = throw "x"');
    writeFileSync(join(dir, "completable.nix"), "");
    assert.deepEqual(repl.complete("1 + someV"), { word: "someV", completions: ["someVariable"] });
    assert.deepEqual(repl.complete("[ someVariable.o"), { word: "someVariable.o", completions: ["someVariable.other"] });
    assert.deepEqual(repl.complete(`${dir}/complet`), { word: `${dir}/complet`, completions: [`${dir}/completable.nix`] });
    assert.deepEqual(repl.complete("failing.a"), { word: "failing.a", completions: [] });
    assert.ok(repl.complete("builtins.attrN").completions.includes("builtins.attrNames"));
  });
});
