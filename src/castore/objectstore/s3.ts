// `objectstore+s3://BUCKET/PREFIX?endpoint=…`: objects in an S3 bucket (AWS, or any server that
// speaks S3: Ceph radosgw, MinIO, GCS's XML API). Query options take the names of the Rust
// `object_store` crate that Tvix passes them to, with or without `aws_`; credentials default to
// $AWS_ACCESS_KEY_ID / $AWS_SECRET_ACCESS_KEY (then the SDK's usual chain). A server other than
// AWS gets path-style addressing (`endpoint/bucket/key`), which needs no DNS per bucket.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { CastoreError } from "../errors.ts";
import type { ObjectStore } from "./object-store.ts";

const OPTIONS = ["endpoint", "region", "access_key_id", "secret_access_key", "session_token", "virtual_hosted_style_request", "allow_http"] as const;
type Option = (typeof OPTIONS)[number];

/** The options of the URL's query, by their short names; unknown ones are refused. */
function parseOptions(url: URL): Partial<Record<Option, string>> {
  const options: Partial<Record<Option, string>> = {};
  for (const [name, value] of url.searchParams) {
    const short = name.replace(/^aws_/, "").replace(/^endpoint_url$/, "endpoint").replace(/^token$/, "session_token") as Option;
    if (!OPTIONS.includes(short)) {
      throw new CastoreError("invalid-argument", `'${url.href}': unknown option '${name}'; known: ${OPTIONS.join(", ")}`);
    }
    options[short] = value;
  }
  return options;
}

function parseBoolean(url: URL, name: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new CastoreError("invalid-argument", `'${url.href}': option ${name} must be true or false, not '${value}'`);
}

function statusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  /** Prepended to every key: the URL's path without the leading slash, with a trailing one. */
  private readonly prefix: string;

  constructor(client: S3Client, bucket: string, prefix: string) {
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix;
  }

  private failed(operation: string, key: string, err: unknown): CastoreError {
    const status = statusOf(err);
    const detail = `${(err as Error).name}${status === undefined ? "" : ` (HTTP ${status})`}: ${(err as Error).message}`;
    return new CastoreError("unavailable", `S3 ${operation} s3://${this.bucket}/${this.prefix}${key} failed: ${detail}`, { cause: err });
  }

  /** Fails unless the bucket exists and the credentials may see it. */
  async checkBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const status = statusOf(err);
      const reason = status === 404 ? "does not exist" : status === 403 ? "is not accessible with these credentials" : `cannot be reached (${(err as Error).name}: ${(err as Error).message})`;
      throw new CastoreError("unavailable", `S3 bucket '${this.bucket}' ${reason}`, { cause: err });
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return await response.Body!.transformToByteArray();
    } catch (err) {
      if ((err as Error).name === "NoSuchKey") return undefined;
      throw this.failed("GET", key, err);
    }
  }

  async head(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw this.failed("HEAD", key, err);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: data, ContentLength: data.length }));
    } catch (err) {
      throw this.failed("PUT", key, err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (err) {
      throw this.failed("DELETE", key, err);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken }));
      } catch (err) {
        throw this.failed("LIST", prefix, err);
      }
      for (const object of page.Contents ?? []) yield object.Key!.slice(this.prefix.length);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

export async function openS3ObjectStore(url: URL): Promise<S3ObjectStore> {
  const bucket = decodeURIComponent(url.hostname);
  if (bucket === "") throw new CastoreError("invalid-argument", `'${url.href}': expected objectstore+s3://BUCKET/PREFIX`);
  const options = parseOptions(url);
  const config: S3ClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
    // Checksums beyond Content-MD5 only where S3 requires them: older servers refuse the rest.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  if (options.endpoint !== undefined) {
    try {
      config.endpoint = new URL(options.endpoint).href;
    } catch {
      throw new CastoreError("invalid-argument", `'${url.href}': endpoint '${options.endpoint}' is not a URL`);
    }
    config.forcePathStyle = !(parseBoolean(url, "virtual_hosted_style_request", options.virtual_hosted_style_request) ?? false);
  }
  parseBoolean(url, "allow_http", options.allow_http);
  const accessKeyId = options.access_key_id ?? process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = options.secret_access_key ?? process.env.AWS_SECRET_ACCESS_KEY;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new CastoreError("invalid-argument", `'${url.href}': an access key id needs a secret access key, and the other way round`);
  }
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    config.credentials = { accessKeyId, secretAccessKey, sessionToken: options.session_token ?? process.env.AWS_SESSION_TOKEN };
  }
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  const store = new S3ObjectStore(new S3Client(config), bucket, prefix === "" ? "" : `${prefix}/`);
  try {
    await store.checkBucket();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
