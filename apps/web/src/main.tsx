import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './app.tsx';
import { admissions } from './lib/admission.ts';
import { retryTransient } from './lib/api.ts';
import { I18nProvider } from './lib/i18n.tsx';
import { sessionStore } from './lib/session.ts';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not change by asking again; network trouble and 5xx might.
      retry: retryTransient,
      refetchOnWindowFocus: false,
    },
    mutations: {
      // A hold, a payment or a give-back is tried when the fan asks, and fails at once without a
      // connection: never kept to go out by itself once the phone is back online, maybe after the fan
      // chose otherwise.
      networkMode: 'always',
    },
  },
});

// What the API told one account is never shown to the next one signed in on this browser (a shared
// computer): their tickets, QR codes and orders go with the session, and so do their waiting-room
// admissions. A refreshed session is the same account.
let shownTo = sessionStore.get()?.user.id;
sessionStore.subscribe(() => {
  const now = sessionStore.get()?.user.id;
  if (now === shownTo) return;
  shownTo = now;
  // Every answer goes; those a mounted page shows are asked again at once, for the account now signed in
  // (removed instead, a page would keep waiting on a request its query no longer has). An answer that is
  // the same whoever asks (`meta.sameForEveryone`) stays: asking again would only spend a request, and a
  // reset link's check asked again once the link set the password is answered "used".
  void queryClient.resetQueries({ predicate: (query) => !query.meta?.sameForEveryone });
  admissions.clearAll();
});

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <I18nProvider>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </I18nProvider>
    </QueryClientProvider>
  </StrictMode>,
);
