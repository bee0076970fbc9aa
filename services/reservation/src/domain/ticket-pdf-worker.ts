import { setPriority } from 'node:os';
import { renderTicketsPdf, type TicketPage } from './ticket-pdf.ts';

/*
 * A worker thread of the PDF pool. Its nice value is the lowest: on Linux a thread has its own, so the
 * service's own thread (holds, seat maps) goes first when both want the CPU, as during a drop when every
 * confirmed order's mail asks for its tickets' PDF.
 */
try {
  setPriority(19);
} catch {
  // Not allowed here: the PDFs still render, at the service's own priority.
}

export default async function render(pages: TicketPage[]): Promise<Uint8Array> {
  return renderTicketsPdf(pages);
}
