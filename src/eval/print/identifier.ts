// How Nix 2.8 writes a name where an identifier may stand (attribute names when printing
// values and expressions): bare when it is a plain identifier, otherwise as a quoted string.

/** Nix 2.8's showString: quotes and escapes `"`, `\`, `$` (always), newline, CR and tab. */
export function quoteExprString(s: string): string {
  let out = '"';
  for (const c of s) {
    if (c === '"' || c === "\\" || c === "$") out += `\\${c}`;
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else out += c;
  }
  return `${out}"`;
}

const IDENTIFIER = /^[a-zA-Z_][a-zA-Z0-9_'-]*$/;

/** Nix 2.8's showId. Only "if" among the keywords is quoted (upstream has a FIXME for the rest). */
export function showIdentifier(name: string): string {
  if (name === "") return '""';
  if (name === "if") return '"if"';
  return IDENTIFIER.test(name) ? name : quoteExprString(name);
}
