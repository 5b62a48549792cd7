/**
 * Text and JSON output of `ltr-rnn`: aligned tables, number formatting, and JSON that survives
 * NaN, ±Infinity and typed arrays.
 */

/** A number for a table cell: `digits` significant digits, `—` for NaN/null, `∞` for Infinity. */
export function num(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (x === Number.POSITIVE_INFINITY) return '∞';
  if (x === Number.NEGATIVE_INFINITY) return '-∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

/** A fraction as a percentage (`0.953` → `95.3 %`). */
export function pct(x: number | null | undefined, digits = 1): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return `${(100 * x).toFixed(digits)} %`;
}

/** Milliseconds as `1.2 s` / `3 min 4 s`. */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * An aligned text table: a header row, a rule, then the rows. Columns whose cells all look
 * numeric are right-aligned.
 */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.,∞—e+%\s()±×/-]*$/.test(r[i] ?? '')));
  const pad = (c: string, i: number): string => (numeric[i] ? ' '.repeat(widths[i] - width(c)) + c : c + ' '.repeat(widths[i] - width(c)));
  const line = (cells: string[]): string => cells.map((c, i) => pad(c ?? '', i)).join('  ').trimEnd();
  return [line(head), line(widths.map((w, i) => (head[i] === '' ? '' : '-'.repeat(w)))), ...rows.map(line)].join('\n');
}

/** Display width (code points; every character we print is one column wide). */
function width(s: string): number {
  return [...s].length;
}

/**
 * JSON text where NaN and ±Infinity become null, typed arrays become arrays and bigint becomes a
 * number, so that `JSON.parse` always reads it back.
 */
export function toJSONText(value: unknown, indent = 2): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) return null;
      if (typeof v === 'bigint') return Number(v);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    },
    indent,
  );
}
