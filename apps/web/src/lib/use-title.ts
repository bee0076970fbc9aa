import { useEffect } from 'react';
import { useI18n } from './i18n.tsx';

/**
 * How strongly a title claims the tab. A not-found page shown inside a page (an unknown concert's) is the
 * page the fan sees, so its title outranks that page's; the site's name alone, which the header claims,
 * shows only while no page names itself.
 */
const RANK = { site: 0, page: 1, notFound: 2 } as const;

type Claim = { title: string; rank: number };

/** The titles the mounted pages claim, each moved to the end when it changes. */
const claims: Claim[] = [];

/** The highest-ranked claim names the tab; among equals, the one that changed last. */
function show(): void {
  let shown: Claim | undefined;
  for (const claim of claims) if (!shown || claim.rank >= shown.rank) shown = claim;
  if (shown) document.title = shown.title;
}

function useClaim(title: string, rank: number): void {
  useEffect(() => {
    const claim = { title, rank };
    claims.push(claim);
    show();
    return () => {
      claims.splice(claims.indexOf(claim), 1);
      show();
    };
  }, [title, rank]);
}

/** The parts joined, most particular first, ending in the site's name as the header says it. */
function useJoined(parts: (string | undefined)[]): string {
  const { t } = useI18n();
  const site = t('app.name');
  return parts.every(Boolean) ? [...parts, site].join(' · ') : site;
}

/**
 * Names the browser tab after the page, most particular part first ("좌석 선택 · 아이유 콘서트 · 티켓이"):
 * what tabs, history and bookmarks show and what a screen reader announces on arrival. The parts are in
 * the page's language, and so is the site's name, the word the header shows; while one part is unknown
 * (the concert still loading) the tab says the site's name alone rather than keep the page before's.
 */
export function useTitle(...parts: (string | undefined)[]): void {
  useClaim(useJoined(parts), RANK.page);
}

/** The not-found page's title, over that of the page it is shown in. */
export function useNotFoundTitle(): void {
  const { t } = useI18n();
  useClaim(useJoined([t('notFound.title')]), RANK.notFound);
}

/** The site's name alone, for whenever no page names the tab (the header, always there, claims it). */
export function useSiteTitle(): void {
  useClaim(useJoined([]), RANK.site);
}
