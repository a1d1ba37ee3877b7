// Stream filters: shell-style globs over the stream path /app/stream (recording filters, play-token scopes), with the semantics of Go's
// path.Match that SRS Stack uses (`*` and `?` never match '/', `[a-z]` and `[!a-z]` classes, `\` escapes).

/** Why a glob is not valid, or null when it is. */
export function globError(glob: string): string | null {
  if (!glob.startsWith('/')) return `the glob ${JSON.stringify(glob)} must start with / (it matches /app/stream, e.g. /live/*)`;
  try {
    compileGlob(glob);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Compiles a glob to an anchored RegExp; throws on a malformed class or a trailing escape. */
export function compileGlob(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\') {
      i++;
      if (i >= glob.length) throw new Error(`the glob ${JSON.stringify(glob)} ends with a lone \\`);
      re += escapeChar(glob[i]!);
    } else if (c === '[') {
      const end = classEnd(glob, i);
      if (end < 0) throw new Error(`the glob ${JSON.stringify(glob)} has a [ without its ]`);
      let body = glob.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      if (!body) throw new Error(`the glob ${JSON.stringify(glob)} has an empty [] class`);
      let cls = '';
      for (let k = 0; k < body.length; k++) {
        const ch = body[k]!;
        if (ch === '\\' && k + 1 < body.length) cls += escapeClassChar(body[++k]!);
        else if (ch === '-' && k > 0 && k < body.length - 1) cls += '-';
        else cls += escapeClassChar(ch);
      }
      // Like path.Match, a class never matches the separator.
      re += negate ? `[^/${cls}]` : `(?!/)[${cls}]`;
      i = end;
    } else re += escapeChar(c);
  }
  try {
    return new RegExp(`${re}$`);
  } catch (e) {
    throw new Error(`the glob ${JSON.stringify(glob)} is not valid: ${(e as Error).message}`);
  }
}

function classEnd(glob: string, start: number): number {
  for (let k = start + 1; k < glob.length; k++) {
    if (glob[k] === '\\') k++;
    else if (glob[k] === ']' && k > start + 1) return k;
  }
  return -1;
}

function escapeChar(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

function escapeClassChar(c: string): string {
  return /[\]\\^-]/.test(c) ? `\\${c}` : c;
}

/** A compiled list of globs: an empty list matches every stream. */
export class GlobFilter {
  private readonly res: RegExp[];

  constructor(readonly globs: readonly string[]) {
    this.res = globs.map(compileGlob);
  }

  /** Whether the stream path /app/stream is selected. */
  matches(path: string): boolean {
    return this.res.length === 0 || this.res.some((r) => r.test(path));
  }
}
