// Text as Nix's logger writes it to stderr. Messages are byte strings (./byte-string.ts).

/**
 * What Nix's logger does to every message when stderr is not a terminal (filterANSIEscapes):
 * escape sequences are dropped, CR and BEL too, and a tab becomes spaces up to the next
 * multiple of 8 characters — counted from the start of the message, not of the line.
 */
export function filterAnsiEscapes(s: string): string {
  let out = "";
  let width = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x1b) {
      i++;
      if (s[i] === "[") {
        i++;
        while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x3f) i++;
        while (i < s.length && s.charCodeAt(i) >= 0x20 && s.charCodeAt(i) <= 0x2f) i++;
        if (i < s.length && s.charCodeAt(i) >= 0x40 && s.charCodeAt(i) <= 0x7e) i++;
      } else if (i < s.length && s.charCodeAt(i) >= 0x40 && s.charCodeAt(i) <= 0x5f) {
        i++;
      }
    } else if (c === 0x09) {
      i++;
      out += " ";
      width++;
      while (width % 8 !== 0) {
        out += " ";
        width++;
      }
    } else if (c === 0x0d || c === 0x07) {
      i++;
    } else {
      out += s[i++];
      // UTF-8 continuation bytes do not take a column.
      if ((c & 0xc0) !== 0x80) width++;
    }
  }
  return out;
}
