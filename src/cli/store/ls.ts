// `tvix store ls`: being built (issue 4); replaced by the real command.
import { UsageError } from "../errors.ts";

export async function run(): Promise<number> {
  throw new UsageError("'tvix store ls' is not built yet");
}
