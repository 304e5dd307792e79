import { BadRequestError } from './errors.js';
import { formatParamPath } from './validate.js';

/**
 * Shape limits every request body meets before anything expensive happens (schema
 * validation, a structured clone to the engine host, tokenization). They are generic:
 * every route, present and future, gets them from the gateway's body parse and the host's
 * entry, not from its own schema.
 *
 * Why a depth cap: a structured clone (postMessage) recurses, and Chromium overflows its
 * stack near 2,000 levels; JSON.parse does not, so a deep body would parse and then fail
 * as a 500 on its way to the host. OpenAI's own strict schemas stop at 10 levels; 64
 * leaves room for any real request.
 */
export interface RequestLimits {
  /** Nesting of arrays and objects, the body itself being level 1. */
  maxDepth: number;
  /** Items in any one array. */
  maxArrayItems: number;
  /** Keys in any one object. */
  maxObjectKeys: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxDepth: 64,
  maxArrayItems: 100_000,
  maxObjectKeys: 10_000,
};

type Path = Array<string | number>;

/**
 * Scans JSON text for its nesting depth without parsing it (a 16 MiB body of `[` is
 * refused in milliseconds instead of being parsed): the path where it first passes
 * `maxDepth`, or null. The text need not be valid JSON; JSON.parse judges that later.
 */
export function jsonTooDeepAt(text: string, maxDepth: number): Path | null {
  const frames: Array<{ array: boolean; key: string | number; expectKey: boolean }> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      const top = frames.at(-1);
      if (top && !top.array && top.expectKey) {
        top.key = keyOf(text.slice(start, i + 1));
        top.expectKey = false;
      }
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      frames.push({ array: c === 0x5b, key: 0, expectKey: c === 0x7b });
      if (frames.length > maxDepth) return frames.slice(0, -1).map((f) => f.key);
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      frames.pop();
    } else if (c === 0x2c /* , */) {
      const top = frames.at(-1);
      if (top?.array) top.key = (top.key as number) + 1;
      else if (top) top.expectKey = true;
    }
  }
  return null;
}

function keyOf(quoted: string): string {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

/**
 * Checks a parsed value against the limits: a 400 naming the path of the first excess.
 * Iterative, so it cannot overflow on a value built past the depth limit in-process.
 */
export function checkRequestShape(value: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): void {
  const stack: Array<{ value: unknown; path: Path }> = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
    if (path.length >= limits.maxDepth) throw tooDeep(path, limits.maxDepth);
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayItems) {
        throw new BadRequestError(`Invalid '${name(path)}': array too long. Expected an array with at most ${limits.maxArrayItems} items, got ${v.length}.`, {
          param: name(path), code: 'array_above_max_length',
        });
      }
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i] });
      continue;
    }
    if (!isPlainObject(v)) continue; // Blob, ImageBitmap, ... (the in-page client's media): opaque.
    const keys = Object.keys(v);
    if (keys.length > limits.maxObjectKeys) {
      throw new BadRequestError(`Invalid '${name(path)}': object has too many keys. Expected at most ${limits.maxObjectKeys}, got ${keys.length}.`, {
        param: name(path), code: 'object_above_max_keys',
      });
    }
    for (let i = keys.length - 1; i >= 0; i--) stack.push({ value: (v as Record<string, unknown>)[keys[i]!], path: [...path, keys[i]!] });
  }
}

/** The text scan, then the parsed checks: what the gateway runs on a body. */
export function checkJsonText(text: string, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): void {
  const deep = jsonTooDeepAt(text, limits.maxDepth);
  if (deep) throw tooDeep(deep, limits.maxDepth);
}

function tooDeep(path: Path, maxDepth: number): BadRequestError {
  return new BadRequestError(
    `Invalid '${name(path)}': the request nests arrays and objects deeper than ${maxDepth} levels, which this server does not accept.`,
    { param: name(path), code: 'json_too_deep' },
  );
}

function name(path: Path): string {
  return formatParamPath(path) || 'body';
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
