// The protobuf layer: generated code matches the .proto files, the schema
// matches Tvix's wire tables, and the encoder produces the canonical bytes
// castore digests are computed over.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  create,
  createRegistry,
  equals,
  fromBinary,
  ScalarType,
  toBinary,
  type DescField,
  type DescMessage,
  type DescMethod,
  type MessageShape,
} from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import {
  DirectorySchema,
  file_tvix_castore_v1_castore,
  NodeSchema,
  type Node,
} from "./gen/tvix/castore/v1/castore_pb.js";
import { file_tvix_castore_v1_rpc_blobstore } from "./gen/tvix/castore/v1/rpc_blobstore_pb.js";
import { file_tvix_castore_v1_rpc_directory } from "./gen/tvix/castore/v1/rpc_directory_pb.js";
import { file_tvix_store_v1_pathinfo, NARInfo_CA_Hash, PathInfoSchema } from "./gen/tvix/store/v1/pathinfo_pb.js";
import { file_tvix_store_v1_rpc_pathinfo } from "./gen/tvix/store/v1/rpc_pathinfo_pb.js";
import { BuildRequestSchema, BuildSchema, file_tvix_build_v1_build } from "./gen/tvix/build/v1/build_pb.js";
import { file_tvix_build_v1_rpc_build } from "./gen/tvix/build/v1/rpc_build_pb.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const generatedDir = path.join(repoRoot, "src/proto/gen");

function buf(...args: string[]): string {
  const cli = path.join(repoRoot, "node_modules/@bufbuild/buf/bin/buf");
  return execFileSync(process.execPath, [cli, ...args], { cwd: repoRoot, encoding: "utf8", stdio: "pipe" });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => statSync(path.join(dir, name)).isFile())
    .sort();
}

describe("code generation", () => {
  it("src/proto/gen is what buf generate produces (run `npm run proto:generate`)", () => {
    const outDir = mkdtempSync(path.join(tmpdir(), "tvix-proto-"));
    try {
      buf("generate", "--output", outDir);
      const freshDir = path.join(outDir, "src/proto/gen");
      const fresh = filesUnder(freshDir);
      assert.ok(fresh.length > 0, "buf generate produced no files");
      assert.deepEqual(filesUnder(generatedDir), fresh);
      for (const file of fresh) {
        const committed = readFileSync(path.join(generatedDir, file));
        assert.ok(committed.equals(readFileSync(path.join(freshDir, file))), `${file} is stale`);
      }
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });

  it("the .proto files pass buf lint and are buf-formatted", () => {
    assert.equal(buf("lint"), "");
    assert.equal(buf("format", "--diff", "--exit-code"), "");
  });
});

// The schema as tvix-protocol.md §2 gives it. Names, numbers and types here
// are the wire contract with Tvix: a change must fail this test.
const expectedMessages: Record<string, string[]> = {
  "tvix.castore.v1.Directory": [
    "1 directories repeated tvix.castore.v1.DirectoryNode",
    "2 files repeated tvix.castore.v1.FileNode",
    "3 symlinks repeated tvix.castore.v1.SymlinkNode",
  ],
  "tvix.castore.v1.DirectoryNode": ["1 name bytes", "2 digest bytes", "3 size uint64"],
  "tvix.castore.v1.FileNode": ["1 name bytes", "2 digest bytes", "3 size uint64", "4 executable bool"],
  "tvix.castore.v1.SymlinkNode": ["1 name bytes", "2 target bytes"],
  "tvix.castore.v1.Node": [
    "1 directory tvix.castore.v1.DirectoryNode oneof node",
    "2 file tvix.castore.v1.FileNode oneof node",
    "3 symlink tvix.castore.v1.SymlinkNode oneof node",
  ],
  "tvix.castore.v1.StatBlobRequest": ["1 digest bytes", "2 send_chunks bool", "3 send_bao bool"],
  "tvix.castore.v1.StatBlobResponse": ["2 chunks repeated tvix.castore.v1.StatBlobResponse.ChunkMeta", "3 bao bytes"],
  "tvix.castore.v1.StatBlobResponse.ChunkMeta": ["1 digest bytes", "2 size uint64"],
  "tvix.castore.v1.ReadBlobRequest": ["1 digest bytes"],
  "tvix.castore.v1.BlobChunk": ["1 data bytes"],
  "tvix.castore.v1.PutBlobResponse": ["1 digest bytes"],
  "tvix.castore.v1.GetDirectoryRequest": ["1 digest bytes oneof by_what", "2 recursive bool"],
  "tvix.castore.v1.PutDirectoryResponse": ["1 root_digest bytes"],
  "tvix.store.v1.PathInfo": [
    "1 node tvix.castore.v1.Node",
    "2 references repeated bytes",
    "3 narinfo tvix.store.v1.NARInfo",
  ],
  "tvix.store.v1.StorePath": ["1 name string", "2 digest bytes"],
  "tvix.store.v1.NARInfo": [
    "1 nar_size uint64",
    "2 nar_sha256 bytes",
    "3 signatures repeated tvix.store.v1.NARInfo.Signature",
    "4 reference_names repeated string",
    "5 deriver tvix.store.v1.StorePath",
    "6 ca tvix.store.v1.NARInfo.CA",
  ],
  "tvix.store.v1.NARInfo.Signature": ["1 name string", "2 data bytes"],
  "tvix.store.v1.NARInfo.CA": ["1 type tvix.store.v1.NARInfo.CA.Hash", "2 digest bytes"],
  "tvix.store.v1.GetPathInfoRequest": ["1 by_output_hash bytes oneof by_what"],
  "tvix.store.v1.ListPathInfoRequest": [],
  "tvix.store.v1.CalculateNARResponse": ["1 nar_size uint64", "2 nar_sha256 bytes"],
  "tvix.build.v1.BuildRequest": [
    "1 inputs repeated tvix.castore.v1.Node",
    "2 command_args repeated string",
    "3 working_dir string",
    "4 scratch_paths repeated string",
    "5 inputs_dir string",
    "6 outputs repeated string",
    "7 environment_vars repeated tvix.build.v1.BuildRequest.EnvVar",
    "8 constraints tvix.build.v1.BuildRequest.BuildConstraints",
    "9 additional_files repeated tvix.build.v1.BuildRequest.AdditionalFile",
    "10 refscan_needles repeated string",
  ],
  "tvix.build.v1.BuildRequest.EnvVar": ["1 key string", "2 value bytes"],
  "tvix.build.v1.BuildRequest.BuildConstraints": [
    "1 system string",
    "2 min_memory uint64",
    "3 available_ro_paths repeated string",
    "4 network_access bool",
    "5 provide_bin_sh bool",
  ],
  "tvix.build.v1.BuildRequest.AdditionalFile": ["1 path string", "2 contents bytes"],
  "tvix.build.v1.Build": [
    "1 build_request tvix.build.v1.BuildRequest",
    "2 outputs repeated tvix.castore.v1.Node",
    "3 outputs_needles repeated tvix.build.v1.Build.OutputNeedles",
  ],
  "tvix.build.v1.Build.OutputNeedles": ["1 needles repeated uint64"],
};

const expectedEnums: Record<string, string[]> = {
  "tvix.store.v1.NARInfo.CA.Hash": [
    "NAR_SHA256 = 0",
    "NAR_SHA1 = 1",
    "NAR_SHA512 = 2",
    "NAR_MD5 = 3",
    "TEXT_SHA256 = 4",
    "FLAT_SHA1 = 5",
    "FLAT_MD5 = 6",
    "FLAT_SHA256 = 7",
    "FLAT_SHA512 = 8",
  ],
};

// Method names and the package-qualified service name form the gRPC paths.
const expectedServices: Record<string, string[]> = {
  "tvix.castore.v1.BlobService": [
    "Stat(tvix.castore.v1.StatBlobRequest) returns (tvix.castore.v1.StatBlobResponse)",
    "Read(tvix.castore.v1.ReadBlobRequest) returns (stream tvix.castore.v1.BlobChunk)",
    "Put(stream tvix.castore.v1.BlobChunk) returns (tvix.castore.v1.PutBlobResponse)",
  ],
  "tvix.castore.v1.DirectoryService": [
    "Get(tvix.castore.v1.GetDirectoryRequest) returns (stream tvix.castore.v1.Directory)",
    "Put(stream tvix.castore.v1.Directory) returns (tvix.castore.v1.PutDirectoryResponse)",
  ],
  "tvix.store.v1.PathInfoService": [
    "Get(tvix.store.v1.GetPathInfoRequest) returns (tvix.store.v1.PathInfo)",
    "Put(tvix.store.v1.PathInfo) returns (tvix.store.v1.PathInfo)",
    "CalculateNAR(tvix.castore.v1.Node) returns (tvix.store.v1.CalculateNARResponse)",
    "List(tvix.store.v1.ListPathInfoRequest) returns (stream tvix.store.v1.PathInfo)",
  ],
  "tvix.build.v1.BuildService": ["DoBuild(tvix.build.v1.BuildRequest) returns (tvix.build.v1.Build)"],
};

function describeField(field: DescField): string {
  let type: string;
  switch (field.fieldKind) {
    case "scalar":
      type = ScalarType[field.scalar].toLowerCase();
      break;
    case "enum":
      type = field.enum.typeName;
      break;
    case "message":
      type = field.message.typeName;
      break;
    case "list":
      type = `repeated ${field.listKind === "scalar" ? ScalarType[field.scalar].toLowerCase() : (field.listKind === "enum" ? field.enum : field.message).typeName}`;
      break;
    case "map":
      throw new Error(`unexpected map field ${field.name}`);
  }
  return `${field.number} ${field.name} ${type}${field.oneof ? ` oneof ${field.oneof.name}` : ""}`;
}

function describeMethod(method: DescMethod): string {
  const clientStreams = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  const serverStreams = method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
  const stream = (streams: boolean) => (streams ? "stream " : "");
  return `${method.name}(${stream(clientStreams)}${method.input.typeName}) returns (${stream(serverStreams)}${method.output.typeName})`;
}

describe("schema matches Tvix's wire tables", () => {
  const registry = createRegistry(
    file_tvix_castore_v1_castore,
    file_tvix_castore_v1_rpc_blobstore,
    file_tvix_castore_v1_rpc_directory,
    file_tvix_store_v1_pathinfo,
    file_tvix_store_v1_rpc_pathinfo,
    file_tvix_build_v1_build,
    file_tvix_build_v1_rpc_build,
  );
  const actualMessages: Record<string, string[]> = {};
  const actualEnums: Record<string, string[]> = {};
  const actualServices: Record<string, string[]> = {};
  for (const desc of registry) {
    if (desc.kind === "message") actualMessages[desc.typeName] = desc.fields.map(describeField);
    if (desc.kind === "enum") actualEnums[desc.typeName] = desc.values.map((v) => `${v.name} = ${v.number}`);
    if (desc.kind === "service") actualServices[desc.typeName] = desc.methods.map(describeMethod);
  }

  it("messages: field numbers, names and types", () => assert.deepEqual(actualMessages, expectedMessages));
  it("enums: value names and numbers", () => assert.deepEqual(actualEnums, expectedEnums));
  it("services: methods, streaming and types", () => assert.deepEqual(actualServices, expectedServices));
});

// Protobuf wire format by hand: a tag is (field number << 3 | wire type).
function varint(value: number): number[] {
  const bytes: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) bytes.push((value % 0x80) | 0x80);
  bytes.push(value);
  return bytes;
}
const varintField = (field: number, value: number) => [...varint(field << 3), ...varint(value)];
const bytesField = (field: number, payload: number[]) => [...varint((field << 3) | 2), ...varint(payload.length), ...payload];
const ascii = (text: string) => [...Buffer.from(text, "latin1")];

describe("canonical Directory encoding (castore digests depend on it)", () => {
  const digestA = new Uint8Array(32).fill(0xaa);
  const digestB = new Uint8Array(32).fill(0xbb);

  it("the empty Directory encodes to zero bytes", () => {
    assert.equal(toBinary(DirectorySchema, create(DirectorySchema)).length, 0);
  });

  it("writes fields in field-number order and omits defaults", () => {
    const directory = create(DirectorySchema, {
      symlinks: [{ name: Buffer.from("c"), target: Buffer.from("../b") }],
      files: [
        { name: Buffer.from("b"), digest: digestB, size: 300n, executable: true },
        { name: Buffer.from("e"), digest: digestB, size: 0n, executable: false },
      ],
      directories: [{ name: Buffer.from("a"), digest: digestA, size: 3n }],
    });
    const expected = [
      ...bytesField(1, [...bytesField(1, ascii("a")), ...bytesField(2, [...digestA]), ...varintField(3, 3)]),
      ...bytesField(2, [
        ...bytesField(1, ascii("b")),
        ...bytesField(2, [...digestB]),
        ...varintField(3, 300),
        ...varintField(4, 1),
      ]),
      // size 0 and executable false are proto3 defaults: not written at all.
      ...bytesField(2, [...bytesField(1, ascii("e")), ...bytesField(2, [...digestB])]),
      ...bytesField(3, [...bytesField(1, ascii("c")), ...bytesField(2, ascii("../b"))]),
    ];
    assert.deepEqual([...toBinary(DirectorySchema, directory)], expected);
  });

  it("re-encoding a message received out of field order restores canonical order", () => {
    const symlink = bytesField(3, [...bytesField(1, ascii("s")), ...bytesField(2, ascii("t"))]);
    const directory = bytesField(1, [...bytesField(1, ascii("d")), ...bytesField(2, [...digestA])]);
    const decoded = fromBinary(DirectorySchema, new Uint8Array([...symlink, ...directory]));
    assert.deepEqual([...toBinary(DirectorySchema, decoded)], [...directory, ...symlink]);
  });
});

// Paths to every field left at its default (for a oneof: with no case set),
// so "all fields" round-trips stay complete when the schema grows.
function unsetFields(message: ReflectMessage): string[] {
  const unset: string[] = [];
  for (const member of message.desc.members) {
    const candidates = member.kind === "oneof" ? member.fields : [member];
    const set = candidates.filter((field) => message.isSet(field));
    if (set.length === 0) unset.push(`${message.desc.typeName}.${member.name}`);
    for (const field of set) {
      if (field.fieldKind === "message") unset.push(...unsetFields(message.get(field)));
      if (field.fieldKind === "list" && field.listKind === "message") {
        for (const item of message.get(field)) unset.push(...unsetFields(item as ReflectMessage));
      }
    }
  }
  return unset;
}

function assertRoundTrip<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>) {
  assert.deepEqual(unsetFields(reflect(schema, message)), [], "the sample must set every field");
  const bytes = toBinary(schema, message);
  const decoded = fromBinary(schema, bytes);
  assert.ok(equals(schema, decoded, message), `${schema.typeName} changed in a round trip`);
  assert.deepEqual(toBinary(schema, decoded), bytes);
  return decoded;
}

const storeDigest = (fill: number) => new Uint8Array(20).fill(fill);
const sampleNodes: Node[] = [
  create(NodeSchema, {
    node: { case: "directory", value: { name: Buffer.from("aaaa-dir"), digest: new Uint8Array(32).fill(1), size: 7n } },
  }),
  create(NodeSchema, {
    node: {
      case: "file",
      value: { name: Buffer.from("bbbb-file"), digest: new Uint8Array(32).fill(2), size: 12n, executable: true },
    },
  }),
  create(NodeSchema, {
    node: { case: "symlink", value: { name: Buffer.from("cccc-link"), target: Buffer.from("aaaa-dir/bin") } },
  }),
];

describe("round trips", () => {
  it("PathInfo with every field set", () => {
    const info = create(PathInfoSchema, {
      node: sampleNodes[1],
      references: [storeDigest(3), storeDigest(4)],
      narinfo: {
        // Beyond 2^53: uint64 must stay exact (bigint).
        narSize: 2n ** 60n + 1n,
        narSha256: new Uint8Array(32).fill(5),
        signatures: [{ name: "cache.example.org-1", data: new Uint8Array(64).fill(6) }],
        referenceNames: ["33333333333333333333333333333333-a", "44444444444444444444444444444444-b"],
        deriver: { name: "hello-2.12", digest: storeDigest(7) },
        ca: { type: NARInfo_CA_Hash.FLAT_SHA256, digest: new Uint8Array(32).fill(8) },
      },
    });
    const decoded = assertRoundTrip(PathInfoSchema, info);
    assert.equal(decoded.narinfo?.narSize, 2n ** 60n + 1n);
    assert.equal(decoded.narinfo?.ca?.type, 7);
  });

  it("BuildRequest and Build with every field set", () => {
    const request = create(BuildRequestSchema, {
      inputs: sampleNodes,
      commandArgs: ["/nix/store/bbbb-file", "-e", "builder.sh"],
      workingDir: "build",
      scratchPaths: ["build", "nix/store"],
      inputsDir: "nix/store",
      outputs: ["nix/store/dddd-out"],
      environmentVars: [
        { key: "HOME", value: Buffer.from("/homeless-shelter") },
        { key: "out", value: Buffer.from("/nix/store/dddd-out") },
      ],
      constraints: {
        system: "x86_64-linux",
        minMemory: 1n << 30n,
        availableRoPaths: ["/dev/kvm"],
        networkAccess: true,
        provideBinSh: true,
      },
      additionalFiles: [{ path: "build/.attr-0", contents: Buffer.from("text") }],
      refscanNeedles: ["dddd", "bbbb"],
    });
    assertRoundTrip(BuildRequestSchema, request);
    const build = create(BuildSchema, {
      buildRequest: request,
      outputs: [sampleNodes[0]],
      outputsNeedles: [{ needles: [0n, 1n] }],
    });
    const decoded = assertRoundTrip(BuildSchema, build);
    assert.deepEqual(decoded.outputsNeedles[0].needles, [0n, 1n]);
  });
});
