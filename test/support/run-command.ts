// Runs one CLI command module as its own process would, without going through main.ts:
// `node run-command.ts NAME ARGS…` loads src/cli/NAME.ts and calls its run(ARGS).
import { reportError } from "../../src/cli/errors.ts";

const [name, ...args] = process.argv.slice(2);
const command = (await import(`../../src/cli/${name}.ts`)) as { run: (argv: string[]) => Promise<number> };
try {
  process.exitCode = await command.run(args);
} catch (err) {
  process.exitCode = reportError(err);
}
