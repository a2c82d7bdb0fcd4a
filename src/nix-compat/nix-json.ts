// JSON as Nix 2.8's own writer (libutil/json.cc) prints it, for commands such as
// `nix show-derivation`: strings escape only `"`, `\`, `\n`, `\r`, `\t` and other bytes below
// 0x20 (as `\u00XX`); all other bytes, even invalid UTF-8, pass through. Pretty printing puts
// each member on its own line, indented by two spaces a level; empty containers stay `{}`/`[]`.

/** A JSON value; objects are Maps so that keys keep the order they are given in; numbers are integers. */
export type NixJson = string | number | boolean | null | NixJson[] | Map<string, NixJson>;

/** A JSON string literal, escaped as Nix escapes it. */
export function nixJsonString(s: string): string {
  return `"${s.replace(/[\u0000-\u001f"\\]/g, escapeChar)}"`;
}

function escapeChar(c: string): string {
  switch (c) {
    case '"':
      return '\\"';
    case "\\":
      return "\\\\";
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\t":
      return "\\t";
    default:
      return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
  }
}

/** `value` as text; `pretty` is Nix's indented form. Encode with ../byte-string.ts for bytes. */
export function formatNixJson(value: NixJson, pretty = false): string {
  return format(value, pretty, 0);
}

function format(value: NixJson, pretty: boolean, depth: number): string {
  if (typeof value === "string") return nixJsonString(value);
  if (value === null || typeof value !== "object") return String(value);
  const items = Array.isArray(value)
    ? value.map((item) => format(item, pretty, depth + 1))
    : [...value].map(([key, item]) => `${nixJsonString(key)}:${pretty ? " " : ""}${format(item, pretty, depth + 1)}`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  if (items.length === 0 || !pretty) return `${open}${items.join(",")}${close}`;
  const inner = `\n${"  ".repeat(depth + 1)}`;
  return `${open}${inner}${items.join(`,${inner}`)}\n${"  ".repeat(depth)}${close}`;
}
