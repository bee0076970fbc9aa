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
 */
export function pdfRenderer(options: { threads: number }): PdfRenderer {
  const pool = new Piscina<TicketPage[], Uint8Array>({
    filename: new URL('./ticket-pdf.ts', import.meta.url).href,
    name: 'renderTicketsPdf',
    minThreads: 0,
    maxThreads: options.threads,
    idleTimeout: 60_000,
    niceIncrement: 19,
  });
  return {
    async render(pages) {
      const bytes = await pool.run(pages);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    close: () => pool.close(),
  };
}
