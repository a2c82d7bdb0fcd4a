import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../errors.ts";
import { parseListen, run } from "./serve.ts";

describe("tvix store serve: arguments", () => {
  it("parses HOST:PORT and [IPV6]:PORT", () => {
    assert.deepEqual(parseListen("127.0.0.1:9000"), { host: "127.0.0.1", port: 9000 });
    assert.deepEqual(parseListen("localhost:0"), { host: "localhost", port: 0 });
    assert.deepEqual(parseListen("[::1]:8080"), { host: "::1", port: 8080 });
    for (const bad of ["9000", "::1:80", "host:", "host:70000", "host:port", "unix:///sock"]) {
      assert.throws(() => parseListen(bad), (err) => err instanceof UsageError && err.message === `--listen '${bad}' is not HOST:PORT`, bad);
    }
  });

  it("refuses bad options before opening anything", async () => {
    const usage = (message: RegExp) => (err: unknown) => err instanceof UsageError && message.test(err.message);
    await assert.rejects(run(["--compression", "bzip2", "--store", "memory://"]), usage(/--compression must be one of none, xz, zstd, br, not 'bzip2'/));
    await assert.rejects(run(["--priority", "high", "--store", "memory://"]), usage(/--priority 'high' is not a number/));
    await assert.rejects(run(["extra", "--store", "memory://"]), usage(/'tvix store serve' takes no arguments/));
    await assert.rejects(run(["--sign-key", "/nonexistent/key", "--store", "memory://"]), /ENOENT/);
  });
});
