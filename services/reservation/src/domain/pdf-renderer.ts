import { createHash } from 'node:crypto';
import { CACHE_LIMITS, type Metrics, memoryCache, producedOnce } from '@tiketi/kit';
import { Piscina } from 'piscina';
import type { TicketPage } from './ticket-pdf.ts';

export type PdfRenderer = {
  render(pages: TicketPage[]): Promise<Buffer>;
  close(): Promise<void>;
};

/**
 * Ticket PDFs are drawn on worker threads (TICKET_PDF_THREADS of them, started on first use) at the lowest
 * CPU priority, never on the service's event loop: one order's PDF costs about a tenth of a second of CPU,
 * and a drop confirms hundreds of orders a minute, whose mails all ask for theirs while fans still hold
 * seats. Where the priority cannot be lowered, they still render, at the service's own.
 *
 * A PDF is kept by what it prints (code, seat, status, event…): asked again, by its holder or by a script
 * that would keep the threads busy for everyone else's tickets, it is handed out without drawing, and a
 * change of anything printed draws it afresh.
 */
export function pdfRenderer(options: { threads: number; metrics: Metrics }): PdfRenderer {
  const pool = new Piscina<TicketPage[], Uint8Array>({
    filename: new URL('./ticket-pdf.ts', import.meta.url).href,
    name: 'renderTicketsPdf',
    minThreads: 0,
    maxThreads: options.threads,
    idleTimeout: 60_000,
    niceIncrement: 19,
  });
  const drawn = options.metrics.counter(
    'tiketi_ticket_pdfs_drawn_total',
    'Ticket PDFs drawn (not served from the kept copies).',
  );
  const kept = producedOnce(
    memoryCache<Buffer>({ ...CACHE_LIMITS.ticketPdfs, sizeOf: (pdf) => pdf.byteLength }),
  );
  return {
    render(pages) {
      const key = createHash('sha256').update(JSON.stringify(pages)).digest('base64url');
      return kept(key, async () => {
        const bytes = await pool.run(pages);
        drawn.inc();
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      });
    },
    close: () => pool.close(),
  };
}
