import type { PublicUser } from '@tiketi/contracts';
import { useSyncExternalStore } from 'react';

export type Session = { user: PublicUser; accessToken: string; refreshToken: string };

const KEY = 'tiketi.session';
const listeners = new Set<() => void>();

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    // A corrupt entry is treated as signed out.
    return null;
  }
}

let current: Session | null = read();

/** The signed-in session, kept in localStorage so a reload (or the payment round trip) keeps it. */
export const sessionStore = {
  get: () => current,
  set(next: Session | null) {
    current = next;
    if (next) localStorage.setItem(KEY, JSON.stringify(next));
    else localStorage.removeItem(KEY);
    for (const listener of listeners) listener();
  },
  /** The session as this browser last kept it, which another tab may have changed a moment ago. */
  stored(): Session | null {
    return read();
  },
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

// Another tab signing in or out changes this one too.
window.addEventListener('storage', (e) => {
  if (e.key !== KEY) return;
  current = read();
  for (const listener of listeners) listener();
});

/**
 * Keeps a session the API answered (login, sign-up, a new password, a refresh): the one way the app signs a
 * fan in, or keeps them signed in with a new pair of tokens.
 */
export function keepSession(answer: Session): void {
  sessionStore.set({ user: answer.user, accessToken: answer.accessToken, refreshToken: answer.refreshToken });
}

export function useSession(): Session | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
}
