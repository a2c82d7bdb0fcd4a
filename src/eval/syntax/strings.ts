// The two pieces of string-literal processing that Nix 2.8 does outside the grammar: escape
// sequences ("\n", ''\t …) with CR/CRLF normalisation, and the indentation stripping of
// ''indented strings''. All text here is byte strings (one char per byte).

/**
 * Nix 2.8's unescapeStr: `\n` `\r` `\t` are control characters, `\` before anything else
 * stands for that character, and a raw CR or CR LF becomes LF (but an escaped CR stays).
 * Like the C original it stops at a NUL byte.
 */
export function unescapeString(raw: string, from: number, to: number): string {
  let plain = from;
  while (plain < to) {
    const c = raw.charCodeAt(plain);
    if (c === 0x5c || c === 0x0d || c === 0) break;
    plain++;
  }
  if (plain === to) return raw.slice(from, to);
  let out = raw.slice(from, plain);
  for (let i = plain; i < to; i++) {
    let c = raw.charCodeAt(i);
    if (c === 0) break;
    if (c === 0x5c) {
      // The lexer only ends a token on a backslash at the end of input, where C reads the NUL.
      c = i + 1 < to ? raw.charCodeAt(++i) : 0;
      if (c === 0x6e) out += "\n";
      else if (c === 0x72) out += "\r";
      else if (c === 0x74) out += "\t";
      else out += String.fromCharCode(c);
    } else if (c === 0x0d) {
      out += "\n";
      if (i + 1 < to && raw.charCodeAt(i + 1) === 0x0a) i++;
    } else {
      out += String.fromCharCode(c);
    }
  }
  return out;
}

/** One piece of an indented string before stripping: literal text or an interpolation. */
export type IndentedPart<E> =
  | { kind: "text"; text: string; indented: boolean; pos: number; end: number }
  | { kind: "expr"; expr: E; pos: number; end: number };

/** What stripping yields: the literal texts and interpolations in order. */
export type StrippedPart<E> =
  | { kind: "text"; text: string; pos: number; end: number }
  | { kind: "expr"; expr: E; pos: number; end: number };

/**
 * Nix 2.8's stripIndentation: finds the smallest indentation of the lines, counting only the
 * spaces of plain text at a line's start (interpolations and escapes end a line's
 * indentation; whitespace-only lines do not count), then drops that many leading spaces from
 * every line of every text piece — escaped ones included, which is 2.8's behaviour — and
 * removes a final line made of spaces only.
 */
export function stripIndentation<E>(parts: IndentedPart<E>[]): StrippedPart<E>[] {
  let atStartOfLine = true;
  let minIndent = 1000000;
  let curIndent = 0;
  for (const part of parts) {
    if (part.kind === "expr" || !part.indented) {
      if (atStartOfLine) {
        atStartOfLine = false;
        if (curIndent < minIndent) minIndent = curIndent;
      }
      continue;
    }
    const text = part.text;
    for (let j = 0; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (atStartOfLine) {
        if (c === 0x20) curIndent++;
        else if (c === 0x0a) curIndent = 0;
        else {
          atStartOfLine = false;
          if (curIndent < minIndent) minIndent = curIndent;
        }
      } else if (c === 0x0a) {
        atStartOfLine = true;
        curIndent = 0;
      }
    }
  }

  const out: StrippedPart<E>[] = [];
  atStartOfLine = true;
  let curDropped = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.kind === "expr") {
      atStartOfLine = false;
      curDropped = 0;
      out.push(part);
      continue;
    }
    // Every byte is kept except the spaces dropped from a line's start.
    const text = part.text;
    let kept = "";
    let from = 0;
    for (let j = 0; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (atStartOfLine) {
        if (c === 0x20) {
          if (curDropped++ < minIndent) {
            kept += text.slice(from, j);
            from = j + 1;
          }
        } else if (c === 0x0a) {
          curDropped = 0;
        } else {
          atStartOfLine = false;
          curDropped = 0;
        }
      } else if (c === 0x0a) {
        atStartOfLine = true;
      }
    }
    kept += text.slice(from);
    if (i === parts.length - 1) {
      const lastNewline = kept.lastIndexOf("\n");
      if (lastNewline >= 0 && /^ *$/.test(kept.slice(lastNewline + 1))) kept = kept.slice(0, lastNewline + 1);
    }
    out.push({ kind: "text", text: kept, pos: part.pos, end: part.end });
  }
  return out;
}
