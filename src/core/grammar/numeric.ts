/**
 * Exact grammars for JSON numbers within bounds (`minimum`, `maximum`, `exclusiveMinimum`,
 * `exclusiveMaximum`). xgrammar's own range rules are approximate (an integer with only a
 * `minimum` of 5 accepts 4; a number in [0, 100] accepts 100.5), so bounded numbers get
 * these rules instead. Everything works on decimal strings and bigints, never on floats.
 *
 * The language is canonical JSON numbers without an exponent: `-?(0|[1-9][0-9]*)(\.[0-9]+)?`
 * (integers: no fraction, and no `-0`). Leaving exponents out only narrows what the model
 * may write; every accepted string is within the bounds.
 */

export interface NumericBounds {
  integer: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** A non-negative decimal: integer part and fraction digits (no trailing zeros). */
interface Decimal {
  int: bigint;
  frac: string;
}

interface Bound {
  value: Decimal;
  negative: boolean;
  exclusive: boolean;
}

/** Beyond this magnitude bounds are narrowed (upper) or refused (lower); see `numericRule`. */
const LIMIT = 10n ** 18n;

export class NumericBoundsError extends Error {}

/**
 * An EBNF expression (one alternative list, usable as a rule body) for the numbers
 * within `bounds`. Throws NumericBoundsError for bounds no number satisfies.
 */
export function numericRule(bounds: NumericBounds): string {
  const lower = pickLower(bounds);
  const upper = pickUpper(bounds);
  const alts: string[] = [];
  const zero: Bound = { value: { int: 0n, frac: '' }, negative: false, exclusive: false };

  // Non-negative part: [max(lower, 0), upper].
  const nonNegLower = lower && !lower.negative ? lower : zero;
  if (!upper || !upper.negative) {
    if (!upper || compareBounds(nonNegLower, upper) <= 0) {
      alts.push(...magnitude(nonNegLower.value, nonNegLower.exclusive, upper?.value ?? null, upper?.exclusive ?? false, bounds.integer));
    }
  }
  // Negative part: values -m, m in [|upper| or 0 (exclusive), |lower|].
  if (!lower || lower.negative) {
    const magLower: { value: Decimal; exclusive: boolean } = upper && upper.negative
      ? { value: upper.value, exclusive: upper.exclusive }
      : { value: { int: 0n, frac: '' }, exclusive: true };
    const magUpper = lower ? { value: lower.value, exclusive: lower.exclusive } : null;
    if (!magUpper || compareDecimal(magLower.value, magUpper.value) <= 0) {
      const inner = magnitude(magLower.value, magLower.exclusive, magUpper?.value ?? null, magUpper?.exclusive ?? false, bounds.integer);
      if (inner.length) alts.push(`"-" (${inner.join(' | ')})`);
    }
  }
  if (alts.length === 0) throw new NumericBoundsError('no number satisfies these bounds');
  return alts.map((a) => `(${a})`).join(' | ');
}

function pickLower(b: NumericBounds): Bound | null {
  const candidates: Bound[] = [];
  if (b.minimum !== undefined) candidates.push({ ...toBound(b.minimum), exclusive: false });
  if (b.exclusiveMinimum !== undefined) candidates.push({ ...toBound(b.exclusiveMinimum), exclusive: true });
  if (candidates.length === 0) return null;
  // The tighter of the two: the larger value; on a tie the exclusive one.
  const best = candidates.reduce((a, c) => {
    const cmp = compareSigned(a, c);
    return cmp < 0 || (cmp === 0 && c.exclusive) ? c : a;
  });
  if (!best.negative && best.value.int >= LIMIT) throw new NumericBoundsError(`a lower bound of ${b.minimum ?? b.exclusiveMinimum} is too large to enforce`);
  // Below -1e18: narrowed to -1e18 (fewer numbers allowed, never more).
  if (best.negative && best.value.int >= LIMIT) return { value: { int: LIMIT, frac: '' }, negative: true, exclusive: false };
  return best;
}

function pickUpper(b: NumericBounds): Bound | null {
  const candidates: Bound[] = [];
  if (b.maximum !== undefined) candidates.push({ ...toBound(b.maximum), exclusive: false });
  if (b.exclusiveMaximum !== undefined) candidates.push({ ...toBound(b.exclusiveMaximum), exclusive: true });
  if (candidates.length === 0) return null;
  const best = candidates.reduce((a, c) => {
    const cmp = compareSigned(a, c);
    return cmp > 0 || (cmp === 0 && c.exclusive) ? c : a;
  });
  if (best.negative && best.value.int >= LIMIT) throw new NumericBoundsError(`an upper bound of ${b.maximum ?? b.exclusiveMaximum} is too small to enforce`);
  return best;
}

function toBound(n: number): Omit<Bound, 'exclusive'> {
  if (!Number.isFinite(n)) throw new NumericBoundsError(`bound ${n} is not a finite number`);
  return { value: toDecimal(Math.abs(n)), negative: n < 0 };
}

/** The exact decimal expansion of a non-negative double (as JSON.parse would have read it). */
export function toDecimal(n: number): Decimal {
  let s = String(n);
  if (/e/i.test(s)) {
    // 1e+21 or 1e-7: expand. Integers via BigInt; small fractions via toFixed (exact enough
    // for the shortest round-trip digits that String() gave).
    const [mant, expPart] = s.toLowerCase().split('e') as [string, string];
    const exp = Number(expPart);
    const [ip, fp = ''] = mant.split('.') as [string, string?];
    const digits = ip + fp;
    const point = ip.length + exp;
    if (point >= digits.length) s = digits + '0'.repeat(point - digits.length);
    else if (point <= 0) s = '0.' + '0'.repeat(-point) + digits;
    else s = digits.slice(0, point) + '.' + digits.slice(point);
  }
  const [ip, fp = ''] = s.split('.') as [string, string?];
  return { int: BigInt(ip), frac: fp.replace(/0+$/, '') };
}

function compareDecimal(a: Decimal, b: Decimal): number {
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const len = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(len, '0');
  const fb = b.frac.padEnd(len, '0');
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

function compareSigned(a: Omit<Bound, 'exclusive'>, b: Omit<Bound, 'exclusive'>): number {
  if (a.negative !== b.negative) {
    const isZero = (d: Decimal) => d.int === 0n && d.frac === '';
    if (isZero(a.value) && isZero(b.value)) return 0;
    return a.negative ? -1 : 1;
  }
  const c = compareDecimal(a.value, b.value);
  return a.negative ? -c : c;
}

/** Signed comparison of a lower and an upper bound: > 0 means the range is empty for sure. */
function compareBounds(lower: Bound, upper: Bound): number {
  const c = compareSigned(lower, upper);
  if (c === 0 && (lower.exclusive || upper.exclusive)) return 1;
  return c;
}

/**
 * Alternatives for unsigned magnitudes m with lo <(=) m <(=) hi (hi null: unbounded).
 * Integers: the integer part only. Numbers: integer part and optional fraction.
 */
function magnitude(lo: Decimal, loEx: boolean, hi: Decimal | null, hiEx: boolean, integer: boolean): string[] {
  if (hi && hi.int >= LIMIT) hi = { int: LIMIT, frac: '' };
  if (integer) {
    // Smallest integer allowed: ceil(lo), +1 when lo is an integer and exclusive.
    const min = lo.int + (lo.frac !== '' || loEx ? 1n : 0n);
    let max: bigint | null = null;
    if (hi) max = hi.frac === '' && hiEx ? hi.int - 1n : hi.int;
    if (max !== null && min > max) return [];
    return intRange(min, max);
  }
  const alts: string[] = [];
  if (hi && lo.int === hi.int) {
    const frac = fraction(lo.frac, loEx, hi.frac, hiEx);
    if (frac !== null) alts.push(`${lit(lo.int)} ${frac}`);
    return alts;
  }
  // I == lo.int: fraction >(=) lo.frac.
  const first = fraction(lo.frac, loEx, null, false);
  if (first !== null) alts.push(`${lit(lo.int)} ${first}`);
  // lo.int < I < hi.int: any fraction.
  const middle = intRange(lo.int + 1n, hi ? hi.int - 1n : null);
  if (middle.length && (!hi || lo.int + 1n <= hi.int - 1n)) alts.push(`(${middle.join(' | ')}) ${ANY_FRACTION}`);
  // I == hi.int: fraction <(=) hi.frac.
  if (hi) {
    const last = fraction('', false, hi.frac, hiEx);
    if (last !== null) alts.push(`${lit(hi.int)} ${last}`);
  }
  return alts;
}

const ANY_FRACTION = '("." [0-9]+)?';

function lit(n: bigint): string {
  return `"${n.toString()}"`;
}

interface FracBound {
  /** Fraction digits without trailing zeros ('' = 0). */
  digits: string;
  exclusive: boolean;
}

/**
 * The optional fractional part `("." [0-9]+)?` whose value 0.f satisfies the bounds
 * (null: no bound; a fraction is always below 1). Null when no fraction qualifies.
 */
function fraction(lo: string, loEx: boolean, hi: string | null, hiEx: boolean): string | null {
  const set = fractions({ digits: lo, exclusive: loEx }, hi === null ? null : { digits: hi, exclusive: hiEx });
  if (set.nonEmpty === null) return set.empty ? '""' : null;
  return set.empty ? `("." (${set.nonEmpty}))?` : `"." (${set.nonEmpty})`;
}

/**
 * The digit strings f (f = '' meaning 0) with lower <(=) 0.f <(=) upper: whether '' is in
 * the set, and an EBNF alternative list for its non-empty members (null if none). Each
 * step fixes one digit; a bound whose digit was not matched stops constraining, so the
 * recursion ends with the bounds' digits.
 */
function fractions(lower: FracBound | null, upper: FracBound | null): { empty: boolean; nonEmpty: string | null } {
  if (lower && lower.digits === '' && !lower.exclusive) lower = null; // >= 0 constrains nothing
  const lowerZero = lower !== null && lower.digits === ''; // > 0
  const upperZero = upper !== null && upper.digits === ''; // <(=) 0
  // Closed forms once neither bound has digits left.
  if ((lower === null || lowerZero) && (upper === null || upperZero)) {
    if (upperZero && (upper!.exclusive || lowerZero)) return { empty: false, nonEmpty: null };
    if (upperZero) return { empty: true, nonEmpty: '"0"+' };
    if (lowerZero) return { empty: false, nonEmpty: '"0"* [1-9] [0-9]*' };
    return { empty: true, nonEmpty: '[0-9]+' };
  }
  const empty = lower === null && (upper === null || upper.digits !== '' || !upper.exclusive);
  const lo0 = lower ? Number(lower.digits[0] ?? 0) : -1;
  const hi0 = upper ? Number(upper.digits[0] ?? 0) : 10;
  const rest = (b: FracBound): FracBound => ({ digits: b.digits.slice(1), exclusive: b.exclusive });
  const alts: string[] = [];
  // Digits strictly between the bounds' digits: anything may follow.
  if (lo0 + 1 <= hi0 - 1) alts.push(`${cls(lo0 + 1, hi0 - 1)} [0-9]*`);
  const follow = (c: number, lo: FracBound | null, hi: FracBound | null) => {
    const sub = fractions(lo, hi);
    if (sub.nonEmpty === null) {
      if (sub.empty) alts.push(`"${c}"`);
    } else {
      alts.push(sub.empty ? `"${c}" (${sub.nonEmpty})?` : `"${c}" (${sub.nonEmpty})`);
    }
  };
  if (lower && upper && lo0 === hi0) {
    follow(lo0, rest(lower), rest(upper));
  } else {
    if (lower && lo0 >= 0 && lo0 <= 9) follow(lo0, rest(lower), null);
    if (upper && hi0 >= 0 && hi0 <= 9) follow(hi0, null, rest(upper));
  }
  return { empty, nonEmpty: alts.length ? alts.join(' | ') : null };
}

function cls(a: number, b: number): string {
  return a === b ? `"${a}"` : `[${a}-${b}]`;
}

/** Canonical non-negative integers in [min, max] (max null: unbounded); [] if none. */
export function intRange(min: bigint, max: bigint | null): string[] {
  if (min < 0n) min = 0n;
  if (max !== null && min > max) return [];
  const alts: string[] = [];
  const minLen = min.toString().length;
  const maxLen = max === null ? null : max.toString().length;
  for (let len = minLen; maxLen === null ? len <= minLen : len <= maxLen; len++) {
    const lowest = len === 1 ? 0n : 10n ** BigInt(len - 1);
    const highest = 10n ** BigInt(len) - 1n;
    const a = min > lowest ? min : lowest;
    const b = max !== null && max < highest ? max : highest;
    if (a > b) continue;
    alts.push(...sameLength(a.toString(), b.toString()));
  }
  if (max === null) {
    // Every longer number.
    alts.push(`[1-9] [0-9]{${minLen},}`);
  }
  return alts;
}

/** Digit strings of equal length between a and b (inclusive), as alternatives. */
function sameLength(a: string, b: string): string[] {
  if (a.length === 0) return ['""'];
  if (a === b) return [`"${a}"`];
  const n = a.length;
  const a0 = Number(a[0]);
  const b0 = Number(b[0]);
  const restA = a.slice(1);
  const restB = b.slice(1);
  const any = (k: number) => (k === 0 ? '' : k === 1 ? ' [0-9]' : ` [0-9]{${k}}`);
  if (a0 === b0) return sameLength(restA, restB).map((s) => `"${a0}" ${s}`);
  const alts: string[] = [];
  const loFull = /^0*$/.test(restA);
  const hiFull = /^9*$/.test(restB);
  const from = loFull ? a0 : a0 + 1;
  const to = hiFull ? b0 : b0 - 1;
  if (!loFull) alts.push(...sameLength(restA, '9'.repeat(n - 1)).map((s) => `"${a0}" ${s}`));
  if (from <= to) alts.push(`${cls(from, to)}${any(n - 1)}`);
  if (!hiFull) alts.push(...sameLength('0'.repeat(n - 1), restB).map((s) => `"${b0}" ${s}`));
  return alts;
}
