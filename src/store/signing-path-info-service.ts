// A PathInfoService that signs what is put into it with a Nix secret key, as Nix's `secret-key`
// store setting does: the signature covers the path's fingerprint (store path, NAR hash and
// size, references), so Nix accepts it with the public key in `trusted-public-keys`.
import type { SecretKey, Signature } from "../nix-compat/signing.ts";
import { DEFAULT_STORE_DIR } from "../nix-compat/store-path.ts";
import { type PathInfo, pathInfoFingerprint } from "./path-info.ts";
import type { PathInfoService } from "./path-info-service.ts";

/** `info`'s signature by `key`. */
export function signPathInfo(info: PathInfo, key: SecretKey, storeDir: string = DEFAULT_STORE_DIR): Signature {
  return key.sign(pathInfoFingerprint(info, storeDir));
}

/** `info` with `key`'s signature added, unless it has that very signature already. */
export function withSignature(info: PathInfo, key: SecretKey, storeDir: string = DEFAULT_STORE_DIR): PathInfo {
  const signature = signPathInfo(info, key, storeDir);
  // ed25519 is deterministic: signing again gives the same bytes.
  if (info.signatures.some((s) => s.keyName === signature.keyName && s.bytes.equals(signature.bytes))) return info;
  return { ...info, signatures: [...info.signatures, signature] };
}

export class SigningPathInfoService implements PathInfoService {
  private readonly inner: PathInfoService;
  private readonly key: SecretKey;
  private readonly storeDir: string;

  constructor(inner: PathInfoService, key: SecretKey, storeDir: string = DEFAULT_STORE_DIR) {
    this.inner = inner;
    this.key = key;
    this.storeDir = storeDir;
  }

  get(digest: Uint8Array): Promise<PathInfo | undefined> {
    return this.inner.get(digest);
  }

  put(info: PathInfo): Promise<PathInfo> {
    return this.inner.put(withSignature(info, this.key, this.storeDir));
  }

  list(): AsyncIterable<PathInfo> {
    return this.inner.list();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
