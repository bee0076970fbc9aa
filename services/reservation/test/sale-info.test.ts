import { createHttpClient } from '@tiketi/kit';
import { describe, expect, it } from 'vitest';
import { eventRepository } from '../src/db/event.repository.ts';
import { saleInfoSource } from '../src/domain/sale-info.ts';
import { onSaleEvent, reservationSuite } from './helpers.ts';

describe('the sale settings of an event, as the holds read them', () => {
  const event = onSaleEvent(4);
  const s = reservationSuite('sale_info', { events: [event] });

  /** The service's source over the suite's database, counting the reads that reach it. */
  function countedSource(cacheMs: number) {
    const events = eventRepository(s.db);
    const reads = { count: 0 };
    const source = saleInfoSource({
      events: {
        ...events,
        findSaleInfo: (eventId: string) => {
          reads.count += 1;
          return events.findSaleInfo(eventId);
        },
      },
      // Every event is in the projection: the event service is never asked.
      eventService: createHttpClient({ baseUrl: 'http://127.0.0.1:9', name: 'event service' }),
      cacheMs,
    });
    return { source, reads };
  }

  it('reads them once for the holds that arrive together at the opening of a sale', async () => {
    const { source, reads } = countedSource(1000);
    const answers = await Promise.all(Array.from({ length: 20 }, () => source.get(event.eventId)));
    expect(reads.count).toBe(1);
    expect(answers.map((a) => a?.perUserLimit)).toEqual(Array(20).fill(event.perUserLimit));
    await source.get(event.eventId);
    expect(reads.count).toBe(1);
  });

  it('reads them again for a hold after a change of the event, even while the earlier read is under way', async () => {
    const { source, reads } = countedSource(1000);
    const before = source.get(event.eventId);
    source.forget(event.eventId);
    const after = source.get(event.eventId);
    await Promise.all([before, after]);
    expect(reads.count).toBe(2);
    // The read begun before the change is not what the next hold is answered with.
    await source.get(event.eventId);
    expect(reads.count).toBe(2);
  });
});
