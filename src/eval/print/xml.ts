// XML output (`nix-instantiate --eval --xml`, `builtins.toXML`) as Nix 2.8's
// printValueAsXML: two-space indentation, attributes of each element in name order,
// derivations shown once (later as <repeated />), functions with their patterns, and with
// `location` the source positions of attributes and functions.
import { isDerivation } from "../runtime/equality.ts";
import { locate, type Pos } from "../position.ts";
import { NixAttrs } from "../value/attrs.ts";
import { formatFloatG, NixFloat } from "../value/float.ts";
import { Lambda } from "../value/function.ts";
import { NixPath } from "../value/path.ts";
import { ContextString } from "../value/string.ts";
import { force, Thunk } from "../value/thunk.ts";
import type { ForcedValue, Value } from "../value/value.ts";

type XmlAttrs = Record<string, string>;

function escapeAttr(s: string): string {
  let out = "";
  for (const c of s) {
    if (c === '"') out += "&quot;";
    else if (c === "<") out += "&lt;";
    else if (c === ">") out += "&gt;";
    else if (c === "&") out += "&amp;";
    else if (c === "\n") out += "&#xA;";
    else out += c;
  }
  return out;
}

/** Nix's XMLWriter with indentation on. */
class XmlWriter {
  out = "<?xml version='1.0' encoding='utf-8'?>\n";
  private readonly pending: string[] = [];

  private get depth(): number {
    return this.pending.length;
  }

  private tag(name: string, attrs: XmlAttrs): string {
    let text = `${"  ".repeat(this.depth)}<${name}`;
    // std::map orders the attributes by name.
    for (const key of Object.keys(attrs).sort()) text += ` ${key}="${escapeAttr(attrs[key])}"`;
    return text;
  }

  open(name: string, attrs: XmlAttrs = {}): void {
    this.out += `${this.tag(name, attrs)}>\n`;
    this.pending.push(name);
  }

  close(): void {
    const name = this.pending.pop();
    this.out += `${"  ".repeat(this.depth)}</${name}>\n`;
  }

  /** Closes every open element, as Nix's writer does when an error unwinds it. */
  closeAll(): void {
    while (this.depth > 0) this.close();
  }

  empty(name: string, attrs: XmlAttrs = {}): void {
    this.out += `${this.tag(name, attrs)} />\n`;
  }
}

function addPosition(attrs: XmlAttrs, pos: Pos): void {
  const where = locate(pos);
  if (!where) return;
  attrs.path = where.source.fileName;
  attrs.line = String(where.line);
  attrs.column = String(where.column);
}

/**
 * The XML document for a value (a binary string ending in a newline); adds string contexts to
 * `context`. If evaluating the value fails, `onError` gets the document as Nix writes it then:
 * what was written, with the open elements closed.
 */
export function valueToXml(v: Value, strict: boolean, location: boolean, context: Set<string>, onError?: (partial: string) => void): string {
  const writer = new XmlWriter();
  writer.open("expr");
  try {
    new XmlPrinter(writer, strict, location, context).print(v);
  } catch (err) {
    if (onError) {
      writer.closeAll();
      onError(writer.out);
    }
    throw err;
  }
  writer.close();
  return writer.out;
}

class XmlPrinter {
  private readonly writer: XmlWriter;
  private readonly strict: boolean;
  private readonly location: boolean;
  private readonly context: Set<string>;
  private readonly drvsSeen = new Set<string>();

  constructor(writer: XmlWriter, strict: boolean, location: boolean, context: Set<string>) {
    this.writer = writer;
    this.strict = strict;
    this.location = location;
    this.context = context;
  }

  private value(v: Value): ForcedValue | undefined {
    if (v instanceof Thunk && !v.isEvaluated && !this.strict) return undefined;
    return force(v);
  }

  print(v: Value): void {
    const w = this.writer;
    const f = this.value(v);
    if (f === undefined) w.empty("unevaluated");
    else if (typeof f === "number" || typeof f === "bigint") w.empty("int", { value: f.toString() });
    else if (typeof f === "boolean") w.empty("bool", { value: f ? "true" : "false" });
    else if (typeof f === "string") w.empty("string", { value: f });
    else if (f === null) w.empty("null");
    else if (f instanceof ContextString) {
      for (const c of f.context) this.context.add(c);
      w.empty("string", { value: f.s });
    } else if (f instanceof NixPath) w.empty("path", { value: f.path });
    else if (f instanceof NixFloat) w.empty("float", { value: formatFloatG(f.value) });
    else if (f instanceof NixAttrs) this.printAttrs(f);
    else if (Array.isArray(f)) {
      w.open("list");
      for (const elem of f) this.print(elem);
      w.close();
    } else if (f instanceof Lambda) this.printLambda(f);
    else w.empty("unevaluated");
  }

  private printAttrs(attrs: NixAttrs): void {
    const w = this.writer;
    if (!isDerivation(attrs)) {
      w.open("attrs");
      this.showAttrs(attrs);
      w.close();
      return;
    }
    const xmlAttrs: XmlAttrs = {};
    let drvPath = "";
    const drv = attrs.get("drvPath");
    const drvValue = drv === undefined ? undefined : this.value(drv);
    if (typeof drvValue === "string" || drvValue instanceof ContextString) {
      drvPath = typeof drvValue === "string" ? drvValue : drvValue.s;
      xmlAttrs.drvPath = drvPath;
    }
    const out = attrs.get("outPath");
    const outValue = out === undefined ? undefined : this.value(out);
    if (typeof outValue === "string" || outValue instanceof ContextString) xmlAttrs.outPath = typeof outValue === "string" ? outValue : outValue.s;
    w.open("derivation", xmlAttrs);
    if (drvPath !== "" && !this.drvsSeen.has(drvPath)) {
      this.drvsSeen.add(drvPath);
      this.showAttrs(attrs);
    } else {
      w.empty("repeated");
    }
    w.close();
  }

  private showAttrs(attrs: NixAttrs): void {
    attrs.names.forEach((name, i) => {
      const xmlAttrs: XmlAttrs = { name };
      if (this.location && attrs.posAt(i) !== 0) addPosition(xmlAttrs, attrs.posAt(i));
      this.writer.open("attr", xmlAttrs);
      this.print(attrs.values[i]);
      this.writer.close();
    });
  }

  private printLambda(fn: Lambda): void {
    const w = this.writer;
    const def = fn.def;
    const xmlAttrs: XmlAttrs = {};
    if (this.location) addPosition(xmlAttrs, def.pos);
    w.open("function", xmlAttrs);
    if (def.formals) {
      const patAttrs: XmlAttrs = {};
      if (def.arg !== null) patAttrs.name = def.arg;
      if (def.ellipsis) patAttrs.ellipsis = "1";
      w.open("attrspat", patAttrs);
      for (const name of def.formals.map((formal) => formal.name).sort()) w.empty("attr", { name });
      w.close();
    } else {
      w.empty("varpat", { name: def.arg ?? "" });
    }
    w.close();
  }
}
