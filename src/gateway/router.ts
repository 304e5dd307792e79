/**
 * A tiny method + path router (Hono's shape, a fraction of its size). Patterns are
 * slash-separated segments: a literal, `:name` (one segment) or `:name*` (the rest of
 * the path, one or more segments, for ids that contain slashes such as hub repo ids).
 * Segments are percent-decoded, so `/models/org%2Fmodel` and `/models/org/model` match
 * the same `:id*`.
 */

export type Params = Record<string, string>;

type Segment = { kind: 'literal'; value: string } | { kind: 'param'; name: string } | { kind: 'rest'; name: string };

interface Route<H> {
  method: string;
  segments: Segment[];
  handler: H;
}

export type RouteMatch<H> =
  | { kind: 'found'; handler: H; params: Params }
  /** The path exists but not for this method: answer 405 with `Allow: allowed`. */
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

export class Router<H> {
  private readonly routes: Array<Route<H>> = [];

  on(method: string, pattern: string, handler: H): this {
    const segments = split(pattern).map((s, i, all): Segment => {
      if (s.startsWith(':') && s.endsWith('*')) {
        if (i !== all.length - 1) throw new Error(`router: rest parameter must be last in '${pattern}'`);
        return { kind: 'rest', name: s.slice(1, -1) };
      }
      if (s.startsWith(':')) return { kind: 'param', name: s.slice(1) };
      return { kind: 'literal', value: s };
    });
    this.routes.push({ method: method.toUpperCase(), segments, handler });
    return this;
  }

  get(pattern: string, handler: H): this {
    return this.on('GET', pattern, handler);
  }

  post(pattern: string, handler: H): this {
    return this.on('POST', pattern, handler);
  }

  /** `path` is the raw (still percent-encoded) path relative to the router's mount point. */
  match(method: string, path: string): RouteMatch<H> {
    const parts = split(path);
    const allowed = new Set<string>();
    const wanted = method.toUpperCase();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, parts);
      if (!params) continue;
      if (route.method === wanted) return { kind: 'found', handler: route.handler, params };
      allowed.add(route.method);
    }
    return allowed.size > 0 ? { kind: 'method-not-allowed', allowed: [...allowed] } : { kind: 'not-found' };
  }
}

/** `/a/b/` -> `['a', 'b']`; empty segments (double or trailing slashes) are dropped. */
function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function matchSegments(segments: Segment[], parts: string[]): Params | null {
  const params: Params = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.kind === 'rest') {
      if (i >= parts.length) return null;
      const rest = parts.slice(i).map(decode);
      if (rest.includes(null)) return null;
      params[seg.name] = rest.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    const value = decode(part);
    if (value === null) return null;
    if (seg.kind === 'literal') {
      if (value !== seg.value) return null;
    } else {
      params[seg.name] = value;
    }
  }
  return parts.length === segments.length ? params : null;
}

function decode(part: string): string | null {
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}
