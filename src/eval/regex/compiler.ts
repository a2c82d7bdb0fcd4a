// POSIX extended regular expressions compiled into an Nfa the way libstdc++'s _Compiler does
// for std::regex::extended, which is what Nix 2.8's `match` and `split` use:
//
//   disjunction := alternative ('|' alternative)*
//   alternative := term*
//   term        := '^' | '$' | atom quantifier*
//   atom        := '.' | char | '(' disjunction ')' | '[' bracket ']'
//   quantifier  := '*' | '+' | '?' | '{' n (',' m?)? '}'
//
// Quirks kept on purpose: interval counts are C `int`s (`a{4294967297}` is `a{1}`), bracket
// ranges compare bytes as signed chars (`[\x80-\xff]` works, `[a-\xff]` is an error), `[=a=]`
// also matches `A`, and there are no backreferences or `\d`-style escapes.
import { equivalenceKey, isInClass, lookupClassName, lookupCollatingElement } from "./c-locale.ts";
import { ANY_BUT_NUL, Fragment, Nfa, Op, RegexError, TABLE } from "./nfa.ts";
import { Scanner, Token } from "./scanner.ts";

/** The byte as a C `char` on x86 (signed), which is how bracket ranges compare. */
function signedChar(byte: number): number {
  return byte >= 0x80 ? byte - 0x100 : byte;
}

/** The set of bytes a bracket expression accepts (libstdc++'s _BracketMatcher). */
class BracketSet {
  private readonly chars = new Set<number>();
  private readonly ranges: [number, number][] = [];
  private classes = 0;
  private readonly equivalents = new Set<number>();
  private readonly negated: boolean;

  constructor(negated: boolean) {
    this.negated = negated;
  }

  addChar(byte: number): void {
    this.chars.add(byte);
  }

  addCollatingElement(name: string): number {
    const byte = lookupCollatingElement(name);
    if (byte < 0) throw new RegexError("syntax", "invalid collating element");
    this.chars.add(byte);
    return byte;
  }

  addEquivalenceClass(name: string): void {
    const byte = lookupCollatingElement(name);
    if (byte < 0) throw new RegexError("syntax", "invalid equivalence class");
    this.equivalents.add(equivalenceKey(byte));
  }

  addClass(name: string): void {
    const mask = lookupClassName(name);
    if (mask === 0) throw new RegexError("syntax", "invalid character class");
    this.classes |= mask;
  }

  addRange(first: number, last: number): void {
    if (signedChar(first) > signedChar(last)) throw new RegexError("syntax", "invalid range");
    this.ranges.push([signedChar(first), signedChar(last)]);
  }

  private accepts(byte: number): boolean {
    if (this.chars.has(byte)) return true;
    const c = signedChar(byte);
    if (this.ranges.some(([first, last]) => first <= c && c <= last)) return true;
    return isInClass(byte, this.classes) || this.equivalents.has(equivalenceKey(byte));
  }

  table(): Uint8Array {
    return Uint8Array.from({ length: 256 }, (_, byte) => (this.accepts(byte) !== this.negated ? 1 : 0));
  }
}

/** What the last bracket term was, for ranges: nothing, a character (pending), or a class. */
type BracketLast = { kind: "none" } | { kind: "char"; byte: number } | { kind: "class" };

class Compiler {
  readonly nfa = new Nfa();
  private readonly scanner: Scanner;
  private readonly stack: Fragment[] = [];
  /** The text of the token matched last. */
  private value = "";

  constructor(re: string) {
    this.scanner = new Scanner(re);
  }

  compile(): Nfa {
    const nfa = this.nfa;
    // libstdc++ appends the first state to a sequence that starts at (not yet existing) state 0.
    const whole = new Fragment(nfa, 0);
    whole.append(nfa.insertSubexprBegin());
    this.disjunction();
    if (!this.matchToken(Token.Eof)) throw new RegexError("syntax", "unmatched parenthesis");
    whole.append(this.pop());
    whole.append(nfa.insertSubexprEnd());
    whole.append(nfa.insertSimple(Op.Accept));
    nfa.eliminateDummies();
    return nfa;
  }

  private matchToken(token: Token): boolean {
    if (this.scanner.token !== token) return false;
    this.value = this.scanner.value;
    this.scanner.advance();
    return true;
  }

  private pop(): Fragment {
    return this.stack.pop() as Fragment;
  }

  private disjunction(): void {
    this.alternative();
    while (this.matchToken(Token.Or)) {
      const first = this.pop();
      this.alternative();
      const second = this.pop();
      const end = this.nfa.insertSimple(Op.Dummy);
      first.append(end);
      second.append(end);
      this.stack.push(new Fragment(this.nfa, this.nfa.insertAlternative(second.start, first.start), end));
    }
  }

  /** Terms in sequence, ending in a Dummy (libstdc++ recurses; the states come out the same). */
  private alternative(): void {
    const terms: Fragment[] = [];
    while (this.term()) terms.push(this.pop());
    let rest = new Fragment(this.nfa, this.nfa.insertSimple(Op.Dummy));
    for (let i = terms.length - 1; i >= 0; i--) {
      terms[i].append(rest);
      rest = terms[i];
    }
    this.stack.push(rest);
  }

  private term(): boolean {
    if (this.matchToken(Token.LineBegin)) this.stack.push(new Fragment(this.nfa, this.nfa.insertSimple(Op.LineBegin)));
    else if (this.matchToken(Token.LineEnd)) this.stack.push(new Fragment(this.nfa, this.nfa.insertSimple(Op.LineEnd)));
    else if (this.atom()) while (this.quantifier());
    else return false;
    return true;
  }

  private quantifier(): boolean {
    const nfa = this.nfa;
    if (this.matchToken(Token.Closure0)) {
      const body = this.pop();
      const loop = new Fragment(nfa, nfa.insertRepeat(-1, body.start));
      body.append(loop);
      this.stack.push(loop);
    } else if (this.matchToken(Token.Closure1)) {
      const body = this.pop();
      body.append(nfa.insertRepeat(-1, body.start));
      this.stack.push(body);
    } else if (this.matchToken(Token.Opt)) {
      const body = this.pop();
      const end = nfa.insertSimple(Op.Dummy);
      const option = new Fragment(nfa, nfa.insertRepeat(-1, body.start));
      body.append(end);
      option.append(end);
      this.stack.push(option);
    } else if (this.matchToken(Token.IntervalBegin)) this.interval();
    else return false;
    return true;
  }

  /** `{min}`, `{min,}` or `{min,max}`: copies of the atom, then a loop or optional copies. */
  private interval(): void {
    const nfa = this.nfa;
    if (!this.matchToken(Token.DupCount)) throw new RegexError("syntax", "bad interval");
    const atom = this.pop();
    const result = new Fragment(nfa, nfa.insertSimple(Op.Dummy));
    const min = this.intValue();
    let unbounded = false;
    let optional = 0;
    if (this.matchToken(Token.Comma)) {
      if (this.matchToken(Token.DupCount)) optional = this.intValue() - min;
      else unbounded = true;
    }
    if (!this.matchToken(Token.IntervalEnd)) throw new RegexError("syntax", "unterminated interval");
    for (let i = 0; i < min; i++) result.append(atom.clone());
    if (unbounded) {
      const copy = atom.clone();
      const loop = new Fragment(nfa, nfa.insertRepeat(-1, copy.start));
      copy.append(loop);
      result.append(loop);
    } else {
      if (optional < 0) throw new RegexError("syntax", "bad interval");
      const end = nfa.insertSimple(Op.Dummy);
      const options: number[] = [];
      for (let i = 0; i < optional; i++) {
        const copy = atom.clone();
        const option = nfa.insertRepeat(copy.start, end);
        options.push(option);
        result.append(new Fragment(nfa, option, copy.end));
      }
      result.append(end);
      // Built as "enter the copy, else skip to the end", then flipped to a greedy option.
      for (const option of options) [nfa.next[option], nfa.alt[option]] = [nfa.alt[option], nfa.next[option]];
    }
    this.stack.push(result);
  }

  /** The count just matched, computed in a C `long` and returned as an `int`, as libstdc++ does. */
  private intValue(): number {
    let v = 0n;
    for (const digit of this.value) v = BigInt.asIntN(64, v * 10n + BigInt(digit));
    return Number(BigInt.asIntN(32, v));
  }

  private atom(): boolean {
    const nfa = this.nfa;
    if (this.matchToken(Token.AnyChar)) this.stack.push(new Fragment(nfa, nfa.insertMatch(ANY_BUT_NUL)));
    else if (this.matchToken(Token.OrdChar)) this.stack.push(new Fragment(nfa, nfa.insertMatch(this.value.charCodeAt(0))));
    else if (this.matchToken(Token.SubexprBegin)) {
      const group = new Fragment(nfa, nfa.insertSubexprBegin());
      this.disjunction();
      if (!this.matchToken(Token.SubexprEnd)) throw new RegexError("syntax", "unmatched parenthesis");
      group.append(this.pop());
      group.append(nfa.insertSubexprEnd());
      this.stack.push(group);
    } else if (this.matchToken(Token.BracketNegBegin)) this.bracket(true);
    else if (this.matchToken(Token.BracketBegin)) this.bracket(false);
    else return false;
    return true;
  }

  private bracket(negated: boolean): void {
    const set = new BracketSet(negated);
    let last: BracketLast | null = { kind: "none" };
    if (this.matchToken(Token.OrdChar)) last = { kind: "char", byte: this.value.charCodeAt(0) };
    else if (this.matchToken(Token.BracketDash)) last = { kind: "char", byte: 0x2d };
    while (last !== null) last = this.bracketTerm(last, set);
    this.stack.push(new Fragment(this.nfa, this.nfa.insertMatch(TABLE, set.table())));
  }

  /**
   * One term inside brackets; returns the new pending state, or null at the closing `]`. A
   * single character stays pending until the next term shows whether it starts a range.
   */
  private bracketTerm(last: BracketLast, set: BracketSet): BracketLast | null {
    const flush = () => {
      if (last.kind === "char") set.addChar(last.byte);
    };
    if (this.matchToken(Token.BracketEnd)) {
      flush();
      return null;
    }
    if (this.matchToken(Token.CollSymbol)) {
      // Every collating element is a single byte, so it may start a range like a character.
      const byte = set.addCollatingElement(this.value);
      flush();
      return { kind: "char", byte };
    }
    if (this.matchToken(Token.EquivClassName)) {
      flush();
      set.addEquivalenceClass(this.value);
      return { kind: "class" };
    }
    if (this.matchToken(Token.CharClassName)) {
      flush();
      set.addClass(this.value);
      return { kind: "class" };
    }
    if (this.matchToken(Token.OrdChar)) {
      flush();
      return { kind: "char", byte: this.value.charCodeAt(0) };
    }
    if (this.matchToken(Token.BracketDash)) {
      if (this.matchToken(Token.BracketEnd)) {
        flush();
        set.addChar(0x2d);
        return null;
      }
      if (last.kind === "char") {
        if (this.matchToken(Token.OrdChar)) set.addRange(last.byte, this.value.charCodeAt(0));
        else if (this.matchToken(Token.BracketDash)) set.addRange(last.byte, 0x2d);
        else throw new RegexError("syntax", "invalid end of range");
        return { kind: "none" };
      }
      throw new RegexError("syntax", "invalid '-' in brackets");
    }
    throw new RegexError("syntax", "unexpected token in brackets");
  }
}

/** Compiles an extended regular expression (a byte string); throws RegexError. */
export function compileRegex(re: string): Nfa {
  return new Compiler(re).compile();
}
