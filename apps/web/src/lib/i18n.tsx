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

const FORM = '(=\\d+|zero|one|two|few|many|other)\\s*\\{((?:[^{}]|\\{\\w+\\})*)\\}';
const PLURAL = new RegExp(`\\{(\\w+), plural,((?:\\s*${FORM})+)\\s*\\}`, 'g');
const pluralRules = { en: new Intl.PluralRules('en'), ko: new Intl.PluralRules('ko') };

/**
 * A catalogue text with its blanks filled: `{name}` by its value, and a count by the form its number takes in
 * the language, written as ICU does (`{n, plural, one {# ticket} other {# tickets}}`, `#` for the number, an
 * `=0` form before the language's own). A blank without a value stays as written.
 */
export function fill(locale: Locale, text: string, vars?: Record<string, string | number>): string {
  const counted = text.replace(PLURAL, (whole, name: string, forms: string) => {
    const value = vars?.[name];
    if (value === undefined) return whole;
    const n = Number(value);
    const byKind = new Map([...forms.matchAll(new RegExp(FORM, 'g'))].map((m) => [m[1], m[2] ?? '']));
    const form =
      byKind.get(`=${n}`) ?? byKind.get(pluralRules[locale].select(n)) ?? byKind.get('other') ?? '';
    return form.replaceAll('#', String(value));
  });
  return counted.replace(/\{(\w+)\}/g, (_, name: string) => String(vars?.[name] ?? `{${name}}`));
}

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
      t: (key, vars) => fill(locale, dictionaries[locale][key], vars),
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
