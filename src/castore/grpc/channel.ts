// A gRPC connection from a castore URL, as Tvix's tonic.rs reads them: `grpc+unix:///SOCKET`
// (no host), `grpc+http://HOST[:PORT]` (plaintext HTTP/2) and `grpc+https://HOST[:PORT]` (TLS),
// no path. The connection is made on first use, unless `?wait-connect=1` asks to connect (and
// fail) at once.
import * as grpc from "@grpc/grpc-js";
import { CastoreError } from "../errors.ts";

/** Bounds one message: a Directory with very many entries, never a whole blob. */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc-node.flow_control_window": 8 << 20,
};

const CONNECT_TIMEOUT_MS = 30_000;

function invalid(url: URL, why: string): CastoreError {
  return new CastoreError("invalid-argument", `invalid gRPC URL '${url.href}': ${why}`);
}

function flag(url: URL, name: string): boolean {
  const value = url.searchParams.get(name);
  if (value === null || value === "0" || value === "false") return false;
  if (value === "1" || value === "true") return true;
  throw invalid(url, `${name} must be 1 or 0, not '${value}'`);
}

/** The grpc-js target and credentials a URL names. */
function targetOf(url: URL): { target: string; credentials: grpc.ChannelCredentials } {
  for (const key of url.searchParams.keys()) {
    if (key !== "wait-connect") throw invalid(url, `unknown parameter '${key}' (known: wait-connect)`);
  }
  switch (url.protocol) {
    case "grpc+unix:": {
      if (url.host !== "") throw invalid(url, "a unix socket URL has no host (grpc+unix:///PATH)");
      if (url.pathname === "" || url.pathname === "/") throw invalid(url, "the socket path is missing");
      return { target: `unix://${decodeURIComponent(url.pathname)}`, credentials: grpc.credentials.createInsecure() };
    }
    case "grpc+http:":
    case "grpc+https:": {
      if (url.hostname === "") throw invalid(url, "the host is missing");
      if (url.pathname !== "" && url.pathname !== "/") throw invalid(url, "a path is not allowed");
      const tls = url.protocol === "grpc+https:";
      const port = url.port || (tls ? "443" : "80");
      return { target: `${url.hostname}:${port}`, credentials: tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure() };
    }
    default:
      throw invalid(url, "the scheme must be grpc+unix, grpc+http or grpc+https");
  }
}

async function waitConnected(client: grpc.Client, where: string): Promise<void> {
  const channel = client.getChannel();
  const deadline = Date.now() + CONNECT_TIMEOUT_MS;
  for (;;) {
    const state = channel.getConnectivityState(true);
    if (state === grpc.connectivityState.READY) return;
    if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN) {
      throw new CastoreError("unavailable", `cannot connect to ${where}`);
    }
    await new Promise<void>((resolve, reject) =>
      channel.watchConnectivityState(state, deadline, (err) => (err ? reject(new CastoreError("unavailable", `cannot connect to ${where}: timed out`)) : resolve())),
    );
  }
}

/** A connection to the server a `grpc+…` URL names, shared by the services that use it. */
export async function connectGrpc(url: URL): Promise<grpc.Client> {
  const { target, credentials } = targetOf(url);
  const client = new grpc.Client(target, credentials, CHANNEL_OPTIONS);
  if (flag(url, "wait-connect")) {
    try {
      await waitConnected(client, url.href);
    } catch (err) {
      client.close();
      throw err;
    }
  }
  return client;
}
