import { WEB_PAGES } from '@tiketi/contracts';
import { type ReactNode, useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { errorMessage, isNotFound, type ProblemContext } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import { useNotFoundTitle } from '../lib/use-title.ts';

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label ?? t('common.loading')}
    </p>
  );
}

export function ErrorState({
  error,
  onRetry,
  context,
  id,
  lead,
}: {
  error: unknown;
  onRetry?: () => void;
  context?: ProblemContext;
  /** What could not be done, said before why, when the page still shows the rest. */
  lead?: string;
  /** For the `aria-describedby` of the field the problem is about. */
  id?: string;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <div className="error" role="alert" id={id}>
      <strong>{t('common.error')}</strong>
      {lead && <p>{lead}</p>}
      <p>{errorMessage(error, i18n, context)}</p>
      {onRetry && (
        <button type="button" className="secondary" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

/** A page whose address names nothing: said plainly, with the way back to the concerts. */
export function NotFound() {
  const { t } = useI18n();
  useNotFoundTitle();
  return (
    <section className="not-found" data-testid="not-found">
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.text')}</p>
      <Link className="button" to={WEB_PAGES.events}>
        {t('notFound.back')}
      </Link>
    </section>
  );
}

export function Notice({
  kind = 'info',
  children,
}: {
  kind?: 'info' | 'success' | 'warning';
  children: ReactNode;
}) {
  return (
    <div className={`notice ${kind}`} role={kind === 'warning' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/**
 * How a form's action went, said beside its button and scrolled to whenever `of` (the answer or the
 * refusal) changes: the top of a long form is out of sight of the button that was pressed. Nothing while
 * `of` is empty.
 */
export function Outcome({
  of,
  className,
  children,
}: {
  of: unknown;
  className?: string;
  children: ReactNode;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (of) box.current?.scrollIntoView({ block: 'nearest' });
  }, [of]);
  return of ? (
    <div ref={box} className={className}>
      {children}
    </div>
  ) : null;
}

/** Loading, error or the content of a query, the same way on every page. */
export function QueryState<T>({
  query,
  children,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (isNotFound(query.error)) return <NotFound />;
  if (query.error || query.data === undefined)
    return <ErrorState error={query.error} onRetry={() => query.refetch()} />;
  return <>{children(query.data)}</>;
}
