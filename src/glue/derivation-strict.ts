// builtins.derivationStrict, as Nix 2.8's prim_derivationStrict: turns the attributes of a
// derivation into a store derivation (environment, args, builder, system, outputs, inputs
// from string contexts), computes its output paths and drv path, records it for the store,
// and returns `{ drvPath; <output> = path; … }` with the contexts that make later uses
// depend on it. The `derivation` wrapper (derivation-nix.ts) builds on it.
import { requireAttr } from "../eval/builtins/attrs.ts";
import { builtin, type Builtin } from "../eval/builtins/registry.ts";
import { EvalError } from "../eval/errors.ts";
import { quoteJsonString, valueToJson } from "../eval/print/json.ts";
import { coerceToString, type CoerceOptions } from "../eval/runtime/coerce.ts";
import { forceAttrs, forceBool, forceList, forceString, forceStringNoContext } from "../eval/runtime/force.ts";
import type { EvalState } from "../eval/state.ts";
import { NixAttrs } from "../eval/value/attrs.ts";
import { ContextString, stringContext, stringText } from "../eval/value/string.ts";
import { force } from "../eval/value/thunk.ts";
import type { Value } from "../eval/value/value.ts";
import type { Derivation, DerivationOutput } from "../nix-compat/derivation/derivation.ts";
import { instantiateDerivation } from "../nix-compat/derivation/instantiate.ts";
import { downstreamPlaceholder } from "../nix-compat/derivation/placeholder.ts";
import { type FileIngestionMethod, parseStorePath } from "../nix-compat/store-path.ts";
import { derivationInputs } from "./derivation-inputs.ts";
import { hashAlgoOrUndefined, parseHashAllowEmpty } from "./hash-argument.ts";
import { nixCompat } from "./nix-compat-errors.ts";
import { type GlueServices, requireExperimentalFeature } from "./services.ts";

/** Environment values: lists space-joined, true "1", false and null "", paths copied to the store. */
const ENV_VALUE: CoerceOptions = { coerceMore: true, copyToStore: true };

/** What the attributes say about the outputs, gathered while the environment is built. */
interface OutputSpec {
  names: Set<string>;
  outputHash?: string;
  outputHashAlgo: string;
  hashMode?: FileIngestionMethod;
  contentAddressed: boolean;
  impure: boolean;
}

export function derivationStrictBuiltin(services: GlueServices): Builtin {
  return builtin("derivationStrict", 1, (state, arg) => derivationStrict(state, services, forceAttrs(arg)));
}

function derivationStrict(state: EvalState, services: GlueServices, attrs: NixAttrs): NixAttrs {
  const nameIndex = requireAttr(attrs, "name", "derivationStrict");
  const posDrvName = attrs.posAt(nameIndex);
  let drvName: string;
  try {
    drvName = forceStringNoContext(attrs.values[nameIndex]);
  } catch (err) {
    if (err instanceof EvalError) err.addTrace(posDrvName, "while evaluating the derivation attribute 'name'");
    throw err;
  }
  const structured = attrs.get("__structuredAttrs");
  const json = structured !== undefined && forceBool(structured) ? new Map<string, string>() : undefined;
  const ignoreNullsValue = attrs.get("__ignoreNulls");
  const ignoreNulls = ignoreNullsValue !== undefined && forceBool(ignoreNullsValue);

  const env = new Map<string, string>();
  const args: string[] = [];
  const context = new Set<string>();
  let builder = "";
  let system = "";
  const spec: OutputSpec = { names: new Set(["out"]), outputHashAlgo: "", contentAddressed: false, impure: false };
  const fail = (message: string): EvalError => new EvalError(message, posDrvName);

  const setHashMode = (mode: string): void => {
    if (mode !== "recursive" && mode !== "flat") throw fail(`invalid value '${mode}' for 'outputHashMode' attribute`);
    spec.hashMode = mode;
  };
  const setOutputs = (names: readonly string[]): void => {
    spec.names = new Set();
    for (const name of names) {
      if (spec.names.has(name)) throw fail(`duplicate derivation output '${name}'`);
      // An output named "drv" would clash with `drvPath` in the result.
      if (name === "drv") throw fail("invalid derivation output name 'drv'");
      spec.names.add(name);
    }
    if (spec.names.size === 0) throw fail("derivation cannot have an empty set of outputs");
  };
  const coerce = (v: Value, options: CoerceOptions): string => {
    const s = coerceToString(state, v, options);
    for (const c of stringContext(s)) context.add(c);
    return stringText(s);
  };

  for (const key of attrs.names) {
    if (key === "__ignoreNulls") continue;
    const value = attrs.get(key) as Value;
    try {
      if (ignoreNulls && force(value) === null) continue;
      if (key === "__contentAddressed") {
        spec.contentAddressed = forceBool(value);
        if (spec.contentAddressed) requireExperimentalFeature(services, "ca-derivations");
      } else if (key === "__impure") {
        spec.impure = forceBool(value);
        if (spec.impure) requireExperimentalFeature(services, "impure-derivations");
      } else if (key === "args") {
        for (const elem of forceList(value)) args.push(coerce(elem, ENV_VALUE));
      } else if (json !== undefined) {
        if (key === "__structuredAttrs") continue;
        json.set(key, valueToJson(state, value, true, context));
        // valueToJson has taken the contexts already.
        if (key === "builder") builder = stringText(forceString(value));
        else if (key === "system") system = forceStringNoContext(value);
        else if (key === "outputHash") spec.outputHash = forceStringNoContext(value);
        else if (key === "outputHashAlgo") spec.outputHashAlgo = forceStringNoContext(value);
        else if (key === "outputHashMode") setHashMode(forceStringNoContext(value));
        else if (key === "outputs") setOutputs(forceList(value).map(forceStringNoContext));
      } else {
        const s = coerce(value, ENV_VALUE);
        env.set(key, s);
        if (key === "builder") builder = s;
        else if (key === "system") system = s;
        else if (key === "outputHash") spec.outputHash = s;
        else if (key === "outputHashAlgo") spec.outputHashAlgo = s;
        else if (key === "outputHashMode") setHashMode(s);
        else if (key === "outputs") setOutputs(s.split(/[ \t\n\r]+/).filter((name) => name !== ""));
      }
    } catch (err) {
      if (err instanceof EvalError) err.addTrace(posDrvName, `while evaluating the attribute '${key}' of the derivation '${drvName}'`);
      throw err;
    }
  }
  if (json !== undefined) env.set("__json", `{${[...json].map(([key, text]) => `${quoteJsonString(key)}:${text}`).join(",")}}`);

  const { inputDrvs, inputSrcs } = derivationInputs(services.store, context);
  if (builder === "") throw fail("required attribute 'builder' missing");
  if (system === "") throw fail("required attribute 'system' missing");
  if (drvName.endsWith(".drv")) throw fail("derivation names are not allowed to end in '.drv'");

  const outputs = draftOutputs(services, spec, fail);
  const draft: Derivation = { outputs, inputDrvs, inputSrcs, system, builder, args, env };
  const storeDir = services.store.storeDir;
  const { drv, drvPath } = nixCompat(() => instantiateDerivation(drvName, draft, services.store.hasher, storeDir));
  services.store.addDerivation(drvPath, drv);

  const result: Record<string, Value> = { drvPath: new ContextString(drvPath, new Set([`=${drvPath}`])) };
  for (const [name, output] of drv.outputs) {
    const path = "path" in output ? output.path : downstreamPlaceholder(parseStorePath(drvPath, storeDir), name);
    result[name] = new ContextString(path, new Set([`!${name}!${drvPath}`]));
  }
  return NixAttrs.of(result);
}

/** The outputs as instantiateDerivation takes them: fixed, floating, impure or (to be) input-addressed. */
function draftOutputs(services: GlueServices, spec: OutputSpec, fail: (message: string) => EvalError): Map<string, DerivationOutput> {
  const outputs = new Map<string, DerivationOutput>();
  if (spec.outputHash !== undefined) {
    // A fixed-output derivation; `__contentAddressed` does not matter, it is content-addressed anyway.
    if (spec.names.size !== 1 || !spec.names.has("out")) throw fail("multiple outputs are not supported in fixed-output derivations");
    const hash = parseHashAllowEmpty(services, spec.outputHash, hashAlgoOrUndefined(spec.outputHashAlgo));
    outputs.set("out", { kind: "fixed", path: "", hash: { method: spec.hashMode ?? "flat", hash } });
  } else if (spec.contentAddressed || spec.impure) {
    if (spec.contentAddressed && spec.impure) throw fail("derivation cannot be both content-addressed and impure");
    const hashAlgo = hashAlgoOrUndefined(spec.outputHashAlgo) ?? "sha256";
    const method = spec.hashMode ?? "recursive";
    for (const name of spec.names) outputs.set(name, { kind: spec.impure ? "impure" : "floating", method, hashAlgo });
  } else {
    for (const name of spec.names) outputs.set(name, { kind: "deferred" });
  }
  return outputs;
}
