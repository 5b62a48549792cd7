/**
 * A small, strict parser for the subset of Python literal syntax that appears in `.npy` headers
 * (what `ast.literal_eval` accepts there): dicts, tuples, lists, strings, integers, floats,
 * `True`, `False` and `None`. Nothing is evaluated; anything else is a syntax error.
 *
 * Internal to `io/`; not part of the public API.
 */

/** A parsed Python literal. Tuples and lists are kept apart because `.npy` requires a tuple shape. */
export type PyValue =
  | { kind: 'str'; value: string }
  | { kind: 'int'; value: bigint }
  | { kind: 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'tuple'; items: PyValue[] }
  | { kind: 'list'; items: PyValue[] }
  | { kind: 'dict'; entries: Array<[PyValue, PyValue]> };

/** Thrown by {@link parsePyLiteral}; the caller turns it into an `LtrError`. */
export class PyLiteralSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} at character ${position}`);
    this.name = 'PyLiteralSyntaxError';
  }
}

const MAX_DEPTH = 32;
const INT = /[-+]?(?:0|[1-9][0-9]*)[lL]?(?![0-9A-Za-z_.])/y;
const FLOAT = /[-+]?(?:(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[0-9]+[eE][-+]?[0-9]+)(?![0-9A-Za-z_.])/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/** Parse `text` as one Python literal, allowing surrounding whitespace (spaces, tabs, newlines). */
export function parsePyLiteral(text: string): PyValue {
  const p = new Parser(text);
  p.skipSpace();
  const v = p.value(0);
  p.skipSpace();
  if (p.pos !== text.length) p.fail(`unexpected ${describe(text[p.pos])} after the literal`);
  return v;
}

/** Python-like rendering of a literal, for error messages. */
export function formatPyValue(v: PyValue): string {
  switch (v.kind) {
    case 'str':
      return `'${v.value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'int':
      return v.value.toString();
    case 'float':
      return String(v.value);
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return v.items.length === 1
        ? `(${formatPyValue(v.items[0]!)},)`
        : `(${v.items.map(formatPyValue).join(', ')})`;
    case 'list':
      return `[${v.items.map(formatPyValue).join(', ')}]`;
    case 'dict':
      return `{${v.entries.map(([k, x]) => `${formatPyValue(k)}: ${formatPyValue(x)}`).join(', ')}}`;
  }
}

function describe(ch: string | undefined): string {
  return ch === undefined ? 'end of header' : `character ${JSON.stringify(ch)}`;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(message: string): never {
    throw new PyLiteralSyntaxError(message, this.pos);
  }

  skipSpace(): void {
    while (this.pos < this.s.length) {
      const c = this.s[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') this.pos++;
      else break;
    }
  }

  value(depth: number): PyValue {
    if (depth > MAX_DEPTH) this.fail(`literal nested deeper than ${MAX_DEPTH} levels`);
    const c = this.s[this.pos];
    if (c === '{') return this.dict(depth);
    if (c === '(') return this.tupleOrGroup(depth);
    if (c === '[') return this.list(depth);
    if (c === "'" || c === '"') return this.str();
    if (c !== undefined && /[-+0-9.]/.test(c)) return this.number();
    if (c !== undefined && /[A-Za-z_]/.test(c)) return this.name();
    return this.fail(`expected a value but found ${describe(c)}`);
  }

  /** Comma-separated values up to `close`, trailing comma allowed. Returns items and whether a comma was seen. */
  private sequence(close: string, depth: number): { items: PyValue[]; sawComma: boolean } {
    const items: PyValue[] = [];
    let sawComma = false;
    this.pos++; // opening bracket
    this.skipSpace();
    while (this.s[this.pos] !== close) {
      items.push(this.value(depth + 1));
      this.skipSpace();
      const c = this.s[this.pos];
      if (c === ',') {
        sawComma = true;
        this.pos++;
        this.skipSpace();
      } else if (c !== close) {
        this.fail(`expected ',' or '${close}' but found ${describe(c)}`);
      }
    }
    this.pos++; // closing bracket
    return { items, sawComma };
  }

  private tupleOrGroup(depth: number): PyValue {
    const start = this.pos;
    const { items, sawComma } = this.sequence(')', depth);
    if (items.length === 0 || sawComma) return { kind: 'tuple', items };
    if (items.length === 1) return items[0]!; // `(5)` is just 5 in Python
    this.pos = start;
    return this.fail('malformed parenthesised expression');
  }

  private list(depth: number): PyValue {
    return { kind: 'list', items: this.sequence(']', depth).items };
  }

  private dict(depth: number): PyValue {
    const entries: Array<[PyValue, PyValue]> = [];
    this.pos++; // {
    this.skipSpace();
    while (this.s[this.pos] !== '}') {
      const key = this.value(depth + 1);
      this.skipSpace();
      if (this.s[this.pos] !== ':') this.fail(`expected ':' but found ${describe(this.s[this.pos])}`);
      this.pos++;
      this.skipSpace();
      const val = this.value(depth + 1);
      entries.push([key, val]);
      this.skipSpace();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipSpace();
      } else if (c !== '}') {
        this.fail(`expected ',' or '}' but found ${describe(c)}`);
      }
    }
    this.pos++; // }
    return { kind: 'dict', entries };
  }

  private str(): PyValue {
    const quote = this.s[this.pos]!;
    this.pos++;
    let out = '';
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined || c === '\n') this.fail('unterminated string');
      if (c === quote) {
        this.pos++;
        break;
      }
      if (c === '\\') {
        out += this.escape();
        continue;
      }
      out += c;
      this.pos++;
    }
    return { kind: 'str', value: out };
  }

  private escape(): string {
    const e = this.s[this.pos + 1];
    this.pos += 2;
    switch (e) {
      case '\\':
        return '\\';
      case "'":
        return "'";
      case '"':
        return '"';
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case '0':
        return '\0';
      case 'x':
        return this.hexEscape(2);
      case 'u':
        return this.hexEscape(4);
      case 'U':
        return this.hexEscape(8);
      default:
        this.pos -= 2;
        return this.fail(`unsupported escape sequence ${JSON.stringify('\\' + (e ?? ''))} in string`);
    }
  }

  private hexEscape(n: number): string {
    const hex = this.s.slice(this.pos, this.pos + n);
    if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) this.fail('malformed hexadecimal escape in string');
    this.pos += n;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff) this.fail('escape names a code point beyond U+10FFFF');
    return String.fromCodePoint(cp);
  }

  private number(): PyValue {
    // Integers, optionally with Python 2's long suffix `L` (old files written by Python 2 numpy).
    const int = this.match(INT);
    if (int !== undefined) return { kind: 'int', value: BigInt(int.replace(/[lL]$/, '')) };
    const float = this.match(FLOAT);
    if (float !== undefined) return { kind: 'float', value: Number(float) };
    return this.fail('malformed number');
  }

  /** Match a sticky regex at the current position; on success advance past it. */
  private match(re: RegExp): string | undefined {
    re.lastIndex = this.pos;
    const m = re.exec(this.s);
    if (!m) return undefined;
    this.pos += m[0].length;
    return m[0];
  }

  private name(): PyValue {
    const start = this.pos;
    const word = this.match(NAME)!;
    if (word === 'True' || word === 'False' || word === 'None') {
      return word === 'None' ? { kind: 'none' } : { kind: 'bool', value: word === 'True' };
    }
    this.pos = start;
    return this.fail(`unexpected name ${JSON.stringify(word)} (only literals are allowed)`);
  }
}
