import { createRequire } from 'node:module';
import { formatTicketCode } from '@tiketi/contracts';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';

/**
 * The Korean typeface travels with the service (an npm package, not a system font), so a container or a
 * CI machine renders the same ticket. It covers Latin and the 2,350 Hangul syllables of KS X 1001; the
 * PDF embeds only the glyphs a ticket uses.
 */
const require = createRequire(import.meta.url);
const FONT = require.resolve('@openfonts/noto-sans-kr_korean/files/noto-sans-kr-korean-400.woff');
const FONT_BOLD = require.resolve('@openfonts/noto-sans-kr_korean/files/noto-sans-kr-korean-700.woff');

export type TicketPage = {
  code: string;
  qr: string;
  seatLabel: string;
  /** A standing place's area and entry number: printed instead of the place's label. */
  entry: { section: string; number: number } | null;
  status: 'ISSUED' | 'USED' | 'VOIDED';
  /** The order the ticket was bought in (예매 번호): the reservation id, as the confirmation mail says. */
  orderNumber: string;
  event: { title: string; startsAt: Date | null; venueName: string | null };
};

/** Concert times are printed in Seoul time, where the concerts are, whatever the server's zone. */
export function formatKst(date: Date): string {
  const text = new Intl.DateTimeFormat('ko-KR', {
    dateStyle: 'full',
    timeStyle: 'short',
    timeZone: 'Asia/Seoul',
  }).format(date);
  return `${text} (KST)`;
}

const STATUS_NOTE: Record<TicketPage['status'], string | undefined> = {
  ISSUED: undefined,
  USED: '입장 처리된 티켓입니다 (USED)',
  VOIDED: '무효가 된 티켓입니다 (VOIDED)',
};

/**
 * One A6 page per ticket: what the door needs (QR and code) and what the fan needs (when, where, seat or
 * standing entry number).
 */
export async function renderTicketsPdf(pages: TicketPage[]): Promise<Buffer> {
  const qrImages = await Promise.all(
    pages.map((p) =>
      QRCode.toBuffer(p.qr, { type: 'png', width: 480, margin: 1, errorCorrectionLevel: 'M' }),
    ),
  );
  const doc = new PDFDocument({
    size: 'A6',
    margin: 24,
    autoFirstPage: false,
    info: { Title: pages[0]?.event.title ?? 'Tiketi', Author: 'Tiketi', Creator: 'Tiketi' },
  });
  doc.registerFont('body', FONT);
  doc.registerFont('bold', FONT_BOLD);
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = () => doc.page.width - 48;
  pages.forEach((page, i) => {
    doc.addPage();
    doc.font('bold').fontSize(9).fillColor('#6b21a8').text('TIKETI 모바일 티켓', { width: width() });
    doc.moveDown(0.3);
    doc.font('bold').fontSize(14).fillColor('#111').text(page.event.title, { width: width() });
    doc.moveDown(0.4);
    const qrSize = 150;
    doc.image(qrImages[i] as Buffer, (doc.page.width - qrSize) / 2, doc.y, { width: qrSize });
    doc.y += qrSize + 4;
    doc
      .font('bold')
      .fontSize(16)
      .text(formatTicketCode(page.code), { width: width(), align: 'center', characterSpacing: 1 });
    doc.font('body').fontSize(7).fillColor('#555');
    doc.text('카메라가 QR을 읽지 못하면 위 코드를 불러 주세요', { width: width(), align: 'center' });
    doc.moveDown(0.6);
    const rows: [string, string][] = [
      page.entry
        ? [
            '입장 번호',
            `${page.entry.section} 스탠딩 ${page.entry.number}번 (Entry No. ${page.entry.number})`,
          ]
        : ['좌석', page.seatLabel],
      ['일시', page.event.startsAt ? formatKst(page.event.startsAt) : '-'],
      ['장소', page.event.venueName ?? '-'],
      ['예매 번호', page.orderNumber],
    ];
    for (const [label, value] of rows) {
      const y = doc.y;
      doc.font('body').fontSize(8).fillColor('#666').text(label, 24, y, { width: 52 });
      doc
        .font('bold')
        .fontSize(9)
        .fillColor('#111')
        .text(value, 80, y, { width: width() - 56 });
      doc.moveDown(0.25);
    }
    const note = STATUS_NOTE[page.status];
    if (note) doc.moveDown(0.3).font('bold').fontSize(9).fillColor('#b91c1c').text(note, 24, doc.y);
  });
  doc.end();
  return done;
}
