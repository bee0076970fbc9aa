/** The waiting room's admission token for one event, kept for this tab until it expires. */
type Admission = { token: string; expiresAt: string };

const key = (eventId: string) => `tiketi.admission.${eventId}`;

export const admissions = {
  save(eventId: string, admission: Admission) {
    sessionStorage.setItem(key(eventId), JSON.stringify(admission));
  },
  get(eventId: string): Admission | undefined {
    try {
      const raw = sessionStorage.getItem(key(eventId));
      if (!raw) return undefined;
      const admission = JSON.parse(raw) as Admission;
      if (Date.parse(admission.expiresAt) <= Date.now()) {
        sessionStorage.removeItem(key(eventId));
        return undefined;
      }
      return admission;
    } catch {
      // Unreadable entry: as if there were none.
      return undefined;
    }
  },
  clear(eventId: string) {
    sessionStorage.removeItem(key(eventId));
  },
  /** Every admission of this tab: an admission is its account's, and another one is signing in. */
  clearAll() {
    const prefix = key('');
    const kept = Array.from({ length: sessionStorage.length }, (_, i) => sessionStorage.key(i));
    for (const name of kept) if (name?.startsWith(prefix)) sessionStorage.removeItem(name);
  },
};
