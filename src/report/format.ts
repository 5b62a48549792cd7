/**
 * Text helpers of the report layer: escaping for HTML/SVG and number formatting for people
 * (tick labels, tables, the methods paragraph).
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML/XML content and double- or single-quoted attribute values. */
export function escapeXml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** `10⁻³`-style power of ten (`1` for 10⁰, `10` for 10¹). */
export function powerOfTen(exponent: number): string {
  if (exponent === 0) return '1';
  if (exponent === 1) return '10';
  return `10${String(exponent).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c])}`;
}

function trimZeros(s: string): string {
  return s.includes('.') && !s.includes('e') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/**
 * A number for people: integers as they are (up to 10⁶), others with `digits` significant digits
 * and trailing zeros dropped; very small or large magnitudes as `a × 10ᵇ`. Non-finite → `—` (NaN),
 * `∞`, `−∞`.
 */
export function formatNumber(x: number, digits = 3): string {
  if (Number.isNaN(x)) return '—';
  if (x === Number.POSITIVE_INFINITY) return '∞';
  if (x === Number.NEGATIVE_INFINITY) return '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (Number.isInteger(x) && a < 1e6) return String(x);
  if (a >= 1e-3 && a < 1e6) {
    const s = trimZeros(x.toPrecision(digits));
    // toPrecision may still answer in exponent form (e.g. 123456 with 3 digits): fall through.
    if (!s.includes('e')) return s;
  }
  const exp = Math.floor(Math.log10(a));
  let mant = x / 10 ** exp;
  let e = exp;
  if (Math.abs(Number(mant.toPrecision(digits))) >= 10) {
    mant /= 10;
    e += 1;
  }
  const m = trimZeros(mant.toPrecision(digits));
  return m === '1' ? powerOfTen(e) : m === '-1' ? `−${powerOfTen(e)}` : `${m} × ${powerOfTen(e)}`;
}

/** A tick label for a linear axis whose ticks are `step` apart. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || step < 1e-4) return formatNumber(v, 3);
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  const s = v.toFixed(decimals);
  return s === '-0' ? '0' : s.replace(/^-/, '−');
}

/** A percentage with `digits` decimals (0.9 → `90 %`). */
export function formatPercent(fraction: number, digits = 0): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(digits)} %` : '—';
}

/** A duration in milliseconds as `340 ms`, `12.3 s` or `4 min 05 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - 60 * m);
  if (m < 60) return `${m} min ${String(rest).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** A list of integers as ranges: [1, 2, 3, 5] → `1–3 and 5`; [4] → `4`. */
export function formatIntegerList(values: readonly number[]): string {
  const v = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < v.length; ) {
    let j = i;
    while (j + 1 < v.length && Number.isInteger(v[j]) && v[j + 1] === v[j] + 1) j++;
    if (j - i >= 2) parts.push(`${v[i]}–${v[j]}`);
    else for (let k = i; k <= j; k++) parts.push(String(v[k]));
    i = j + 1;
  }
  return joinWords(parts);
}

/** ['a'] → `a`; ['a', 'b'] → `a and b`; ['a', 'b', 'c'] → `a, b and c`. */
export function joinWords(parts: readonly string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** `1 trial` / `2 trials`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
