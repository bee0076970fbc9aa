import { type FormEvent, useState } from 'react';

/**
 * One form that sends what was typed and stays on its page: `send` gets the form's fields (and the form, to
 * clear it); the form then says how that went (`done`, or the `error` to show) until it is sent again.
 */
export function useSubmit(send: (fields: FormData, form: HTMLFormElement) => Promise<void>) {
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await send(new FormData(form), form);
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return { submit, error, done, busy };
}
