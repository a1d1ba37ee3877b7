// The login session: the console's JWT (never the API secret) kept in localStorage, and a signal that it
// stopped working (expired, or the server's secret changed) so the app can send the user back to login.
const KEY = 'srs-node.session';
const ENDED = 'srs-node.session-ended';

export interface Session { token: string; expireAt: string }

type Listener = (reason: string) => void;
const listeners = new Set<Listener>();

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    return s && typeof s.token === 'string' && s.token ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session): void {
  localStorage.setItem(KEY, JSON.stringify(s));
  sessionStorage.removeItem(ENDED);
}

export function clearSession(): void {
  localStorage.removeItem(KEY);
}

/** Called by the API client when the server refuses the token. */
export function sessionRejected(reason: string): void {
  clearSession();
  sessionStorage.setItem(ENDED, reason);
  for (const l of listeners) l(reason);
}

export function onSessionRejected(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Why the last session ended on its own ('' if it did not); cleared by the next login. */
export function sessionEndedReason(): string {
  return sessionStorage.getItem(ENDED) ?? '';
}

export function forgetSessionEnded(): void {
  sessionStorage.removeItem(ENDED);
}
