import { useEffect } from 'react';

/** The site's name as index.html gives it, read before any page names the tab. */
const SITE = document.title;

/**
 * Names the browser tab after the page, most particular part first ("좌석 선택 · 아이유 콘서트 · Tiketi"):
 * what tabs, history and bookmarks show and what a screen reader announces on arrival. The parts are in
 * the page's language; while one is unknown (the concert still loading) the tab says the site's name
 * alone rather than keep the page before's.
 */
export function useTitle(...parts: (string | undefined)[]): void {
  const title = parts.every(Boolean) ? [...parts, SITE].join(' · ') : SITE;
  useEffect(() => {
    document.title = title;
  }, [title]);
}
