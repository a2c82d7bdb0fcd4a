// Errors of castore and everything built on it. The code says what kind of failure it is, so
// that the gRPC layer maps it to a status (not-found → NOT_FOUND, …) and callers can tell a
// missing object from corrupt input without parsing messages.
export type CastoreErrorCode =
  /** The object asked for does not exist. */
  | "not-found"
  /** The caller sent something malformed: bad digest length, bad name, a stream out of order. */
  | "invalid-argument"
  /** Stored data does not match its digest, or a backend returned something inconsistent. */
  | "data-loss"
  /** The backend failed (I/O error, network, a remote service down). */
  | "unavailable";

export class CastoreError extends Error {
  readonly code: CastoreErrorCode;

  constructor(code: CastoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CastoreError";
    this.code = code;
  }
}
