// `tvix store import-nar`: being built (issue 4); replaced by the real command.
import { UsageError } from "../errors.ts";

export async function run(): Promise<number> {
  throw new UsageError("'tvix store import-nar' is not built yet");
}
