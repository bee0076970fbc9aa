import { useMutation } from '@tanstack/react-query';
import { queueLeft } from '@tiketi/contracts';
import { useNavigate } from 'react-router';
import { api } from '../lib/api.ts';
import { useI18n } from '../lib/i18n.tsx';
import type { MessageKey } from '../lib/messages.ts';
import { ErrorState } from './states.tsx';

/**
 * Leaves the event's waiting room (`DELETE /api/queue/:eventId`): an admitted fan gives their slot to the next
 * fan, a waiting fan gives up their place. Then back to the event's page.
 */
export function LeaveRoom(props: {
  eventId: string;
  label: MessageKey;
  hint: MessageKey;
  onLeft?: () => void;
  /** Called as the request goes out (the room's socket may tell of the leaving before it answers). */
  onLeaving?: () => void;
  testId?: string;
}) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const leave = useMutation({
    mutationFn: () => {
      props.onLeaving?.();
      return api(`/api/queue/${props.eventId}`, { method: 'DELETE', schema: queueLeft });
    },
    onSuccess: () => {
      props.onLeft?.();
      navigate(`/events/${props.eventId}`);
    },
  });
  return (
    <div className="stack" data-testid={props.testId}>
      <div className="actions">
        <button type="button" className="secondary" disabled={leave.isPending} onClick={() => leave.mutate()}>
          {t(props.label)}
        </button>
      </div>
      <p className="muted">{t(props.hint)}</p>
      {leave.error && <ErrorState error={leave.error} />}
    </div>
  );
}
