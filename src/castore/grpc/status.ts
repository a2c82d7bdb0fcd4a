// gRPC status codes ↔ CastoreError codes, so that a failure keeps its kind across the wire: a
// server answers NOT_FOUND for a missing object and INVALID_ARGUMENT for bad input, and the
// client turns them back into the CastoreError the caller of a local backend would have seen.
import { type ServiceError, status } from "@grpc/grpc-js";
import { CastoreError, type CastoreErrorCode } from "../errors.ts";

const STATUS_OF: Record<CastoreErrorCode, status> = {
  "not-found": status.NOT_FOUND,
  "invalid-argument": status.INVALID_ARGUMENT,
  "data-loss": status.DATA_LOSS,
  unavailable: status.UNAVAILABLE,
};

/** An error carrying a gRPC status of its own, for answers no CastoreError code names. */
export class StatusError extends Error {
  readonly code: status;
  readonly details: string;

  constructor(code: status, details: string) {
    super(details);
    this.name = "StatusError";
    this.code = code;
    this.details = details;
  }
}

/** The status a server answers with for `err`; anything unexpected is INTERNAL. */
export function toStatus(err: unknown): { code: status; details: string } {
  if (err instanceof StatusError) return { code: err.code, details: err.details };
  if (err instanceof CastoreError) return { code: STATUS_OF[err.code], details: err.message };
  return { code: status.INTERNAL, details: `internal error: ${(err as Error)?.message ?? String(err)}` };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as ServiceError).code === "number" && typeof (err as ServiceError).details === "string";
}

/**
 * A failed call as the CastoreError the server meant; `where` names the server for failures
 * that are about the connection rather than the request.
 */
export function fromStatus(err: unknown, where: string): Error {
  if (!isServiceError(err)) return err as Error;
  switch (err.code) {
    case status.NOT_FOUND:
      return new CastoreError("not-found", err.details, { cause: err });
    case status.INVALID_ARGUMENT:
    case status.FAILED_PRECONDITION:
      return new CastoreError("invalid-argument", err.details, { cause: err });
    case status.DATA_LOSS:
      return new CastoreError("data-loss", err.details, { cause: err });
    default:
      return new CastoreError("unavailable", `${where}: ${status[err.code] ?? err.code}: ${err.details}`, { cause: err });
  }
}

/**
 * Runs `decode` on what a server sent; a reply that fails validation is the server's fault,
 * so it is reported as data-loss rather than as the caller's invalid argument.
 */
export function checkReply<T>(decode: () => T, where: string): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof CastoreError && err.code === "invalid-argument") {
      throw new CastoreError("data-loss", `${where} sent ${err.message}`, { cause: err });
    }
    throw err;
  }
}
