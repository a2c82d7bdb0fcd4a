import assert from "node:assert/strict";
import { test } from "node:test";
import { builderUrlFor } from "./build-session.ts";

test("a builder daemon pushes into a grpc+http(s) store unless told otherwise", () => {
  assert.equal(builderUrlFor("grpc+http://builder:9000", "grpc+http://store:8000"), `grpc+http://builder:9000?push-store=${encodeURIComponent("grpc+http://store:8000")}`);
  const pushed = new URL(builderUrlFor("grpc+unix:///run/b.sock", "grpc+https://store.example:443/x"));
  assert.equal(pushed.searchParams.get("push-store"), "grpc+https://store.example:443/x");
  assert.equal(builderUrlFor("grpc+http://b:1?push-store=grpc%2Bhttp%3A%2F%2Fother%3A2", "grpc+http://store:8000"), "grpc+http://b:1?push-store=grpc%2Bhttp%3A%2F%2Fother%3A2");
});

test("no push-store default for local, unix-socket or composed stores, nor for the oci builder", () => {
  assert.equal(builderUrlFor("grpc+http://b:1", "local:///tmp/store"), "grpc+http://b:1");
  assert.equal(builderUrlFor("grpc+http://b:1", "grpc+unix:///run/store.sock"), "grpc+http://b:1");
  assert.equal(builderUrlFor("grpc+http://b:1", undefined), "grpc+http://b:1");
  assert.equal(builderUrlFor("oci://", "grpc+http://store:8000"), "oci://");
});
