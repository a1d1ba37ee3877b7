// The SRS API takes no request bodies; paging comes from the query (?start=0&count=10, as SRS).
import { badRequest } from '../../../errors.js';

export interface Page {
  start: number;
  count: number;
}

/** SRS's paging: start from 0, count at least 10 (SRS's default). */
export function parsePage(q: URLSearchParams): Page {
  const num = (name: string, def: number): number => {
    const raw = q.get(name);
    if (raw === null || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw badRequest(`query parameter "${name}" must be a non-negative integer, got ${JSON.stringify(raw)}`);
    return n;
  };
  return { start: num('start', 0), count: Math.max(10, num('count', 10)) };
}
