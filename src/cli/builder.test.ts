import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "./errors.ts";
import { run } from "./builder.ts";

describe("tvix builder daemon: arguments", () => {
  it("refuses bad options before serving anything", async () => {
    const usage = (message: RegExp) => (err: unknown) => err instanceof UsageError && message.test(err.message);
    await assert.rejects(run(["daemon", "-j", "0", "--store", "memory://"]), usage(/-j\/--max-jobs must be a positive integer, not '0'/));
    await assert.rejects(run(["daemon", "--max-jobs", "two", "--store", "memory://"]), usage(/not 'two'/));
    await assert.rejects(run(["daemon", "--listen", "nowhere", "--store", "memory://"]), usage(/invalid listen address 'nowhere'/));
    await assert.rejects(run(["daemon", "extra", "--store", "memory://"]), usage(/unexpected argument 'extra'/));
    await assert.rejects(run(["daemon", "--frobnicate"]), usage(/Unknown option '--frobnicate'/));
    await assert.rejects(run(["serve"]), usage(/'serve' is not a 'tvix builder' subcommand/));
  });

  it("refuses a builder URL it cannot open, at start", async () => {
    await assert.rejects(run(["daemon", "--listen", "127.0.0.1:0", "--store", "memory://", "--builder", "bogus://"]), /unknown builder URL scheme 'bogus'/);
  });
});
