import { WEB_LANGUAGE_PARAM } from '@tiketi/contracts';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { en, ko, type MessageKey } from './messages.ts';

export type Locale = 'ko' | 'en';
const KEY = 'tiketi.locale';
const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, ko };

type I18n = {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
};

const I18nContext = createContext<I18n | undefined>(undefined);

/**
 * The language the address names (a mailed link carries its mail's): kept as the visitor's choice, as the
 * language switch keeps it, and taken out of the address, which goes on naming only the page.
 */
function linkedLocale(): Locale | undefined {
  const url = new URL(window.location.href);
  const named = url.searchParams.get(WEB_LANGUAGE_PARAM);
  if (named === null) return undefined;
  url.searchParams.delete(WEB_LANGUAGE_PARAM);
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  if (named !== 'ko' && named !== 'en') return undefined;
  localStorage.setItem(KEY, named);
  return named;
}

function initialLocale(): Locale {
  const linked = linkedLocale();
  if (linked) return linked;
  const saved = localStorage.getItem(KEY);
  if (saved === 'ko' || saved === 'en') return saved;
  return navigator.language.toLowerCase().startsWith('ko') ? 'ko' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    localStorage.setItem(KEY, next);
    setLocaleState(next);
  }, []);
  const value = useMemo<I18n>(
    () => ({
      locale,
      setLocale,
      t: (key, vars) =>
        dictionaries[locale][key].replace(/\{(\w+)\}/g, (_, name: string) =>
          String(vars?.[name] ?? `{${name}}`),
        ),
    }),
    [locale, setLocale],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
