import type { Locale } from '../db/schema.ts';
import { type Block, composeEmail, formatWhen, formatWon, type RenderedEmail } from './email-layout.ts';

export type EventInfo = { title: string; startsAt: Date | undefined; venueName: string | null | undefined };

export type TemplateData = {
  welcome: { name: string; eventsUrl: string };
  'tickets-issued': {
    name: string;
    event: EventInfo | undefined;
    seatLabels: string[];
    amount: number | undefined;
    reservationId: string;
    ticketsUrl: string;
  };
  'payment-refunded': {
    name: string;
    event: EventInfo | undefined;
    amount: number;
    totalRefunded: number;
    full: boolean;
    lateApproval: boolean;
    seatCount: number;
    orderId: string;
    reservationsUrl: string;
  };
  'reservation-expired': { name: string; event: EventInfo | undefined; seatCount: number; eventUrl: string };
};

export type TemplateName = keyof TemplateData;

function eventRows(event: EventInfo | undefined, locale: Locale): [string, string][] {
  if (!event) return [];
  const ko = locale === 'ko';
  const rows: [string, string][] = [[ko ? '공연' : 'Event', event.title]];
  if (event.startsAt) rows.push([ko ? '일시' : 'When', formatWhen(event.startsAt, locale)]);
  if (event.venueName) rows.push([ko ? '장소' : 'Where', event.venueName]);
  return rows;
}

const templates: { [T in TemplateName]: (d: TemplateData[T], locale: Locale) => RenderedEmail } = {
  welcome(d, locale) {
    if (locale === 'ko') {
      return composeEmail(locale, '[Tiketi] 가입을 환영합니다', `${d.name}님, 환영합니다!`, [
        {
          kind: 'p',
          text: 'Tiketi 회원이 되신 것을 환영합니다. 좋아하는 아티스트의 공연을 가장 먼저 만나보세요.',
        },
        { kind: 'button', label: '공연 둘러보기', url: d.eventsUrl },
      ]);
    }
    return composeEmail(locale, '[Tiketi] Welcome to Tiketi', `Welcome, ${d.name}!`, [
      { kind: 'p', text: 'Your Tiketi account is ready. Be first in line for the artists you love.' },
      { kind: 'button', label: 'Browse concerts', url: d.eventsUrl },
    ]);
  },

  'tickets-issued'(d, locale) {
    const ko = locale === 'ko';
    const title = d.event?.title;
    const rows: [string, string][] = [
      ...eventRows(d.event, locale),
      [ko ? '좌석' : 'Seats', d.seatLabels.join(', ')],
    ];
    if (d.amount !== undefined) rows.push([ko ? '결제 금액' : 'Paid', formatWon(d.amount, locale)]);
    rows.push([ko ? '예매 번호' : 'Booking', d.reservationId]);
    const blocks: Block[] = [
      {
        kind: 'p',
        text: ko
          ? `${d.name}님, 예매가 완료되었습니다. 공연 당일 입장 시 모바일 티켓의 QR 코드를 보여주세요.`
          : `${d.name}, your booking is confirmed. Show the QR code of your mobile ticket at the entrance.`,
      },
      { kind: 'rows', rows },
      { kind: 'button', label: ko ? '내 티켓 보기' : 'View my tickets', url: d.ticketsUrl },
    ];
    return ko
      ? composeEmail(locale, `[Tiketi] 예매 완료: ${title ?? '티켓 발급'}`, '예매가 완료되었습니다', blocks)
      : composeEmail(
          locale,
          `[Tiketi] Your tickets${title ? ` for ${title}` : ''}`,
          'Your tickets are ready',
          blocks,
        );
  },

  'payment-refunded'(d, locale) {
    const ko = locale === 'ko';
    const rows: [string, string][] = [
      ...eventRows(d.event, locale),
      [ko ? '환불 금액' : 'Refunded', formatWon(d.amount, locale)],
    ];
    if (d.totalRefunded !== d.amount) {
      rows.push([ko ? '누적 환불' : 'Refunded in total', formatWon(d.totalRefunded, locale)]);
    }
    rows.push([ko ? '주문 번호' : 'Order', d.orderId]);
    const reason: Block = {
      kind: 'p',
      text: d.lateApproval
        ? ko
          ? `${d.name}님, 결제가 좌석 선점 시간이 끝난 뒤에 승인되어 좌석을 확보하지 못했습니다. 결제하신 금액은 전액 자동으로 환불되었습니다. 불편을 드려 죄송합니다.`
          : `${d.name}, your payment was approved after your seat hold had expired, so we could not keep the seats. We refunded the full amount automatically. We are sorry for the trouble.`
        : d.full
          ? ko
            ? `${d.name}님, 예매가 취소되고 결제 금액이 환불되었습니다.`
            : `${d.name}, your booking was cancelled and your payment refunded.`
          : ko
            ? `${d.name}님, 좌석 ${d.seatCount}석이 취소되고 해당 금액이 환불되었습니다. 나머지 좌석은 그대로 유효합니다.`
            : `${d.name}, ${d.seatCount} seat(s) were cancelled and refunded. Your other seats remain valid.`,
    };
    const blocks: Block[] = [
      reason,
      { kind: 'rows', rows },
      {
        kind: 'p',
        text: ko
          ? '카드사에 따라 환불이 반영되기까지 3~7 영업일이 걸릴 수 있습니다.'
          : 'Depending on your card issuer, the refund may take 3–7 business days to appear.',
      },
      { kind: 'button', label: ko ? '예매 내역 보기' : 'View my bookings', url: d.reservationsUrl },
    ];
    const subject = d.lateApproval
      ? ko
        ? '[Tiketi] 결제가 자동 환불되었습니다'
        : '[Tiketi] Your payment was refunded automatically'
      : d.full
        ? ko
          ? '[Tiketi] 환불이 완료되었습니다'
          : '[Tiketi] Your refund is complete'
        : ko
          ? '[Tiketi] 부분 환불이 완료되었습니다'
          : '[Tiketi] Your partial refund is complete';
    const heading = d.lateApproval
      ? ko
        ? '좌석 선점 시간이 지나 결제가 환불되었습니다'
        : 'Your seat hold expired before the payment arrived'
      : ko
        ? '환불 안내'
        : 'Refund';
    return composeEmail(locale, subject, heading, blocks);
  },

  'reservation-expired'(d, locale) {
    const ko = locale === 'ko';
    const blocks: Block[] = [
      {
        kind: 'p',
        text: ko
          ? `${d.name}님, 결제가 완료되지 않아 좌석 ${d.seatCount}석의 선점이 만료되었습니다. 좌석은 다시 판매 중이며, 결제된 금액은 없습니다.`
          : `${d.name}, your hold on ${d.seatCount} seat(s) expired before payment was completed. The seats are back on sale and you were not charged.`,
      },
      { kind: 'rows', rows: eventRows(d.event, locale) },
      { kind: 'button', label: ko ? '다시 예매하기' : 'Try again', url: d.eventUrl },
    ];
    return composeEmail(
      locale,
      ko ? '[Tiketi] 좌석 선점 시간이 만료되었습니다' : '[Tiketi] Your seat hold expired',
      ko ? '좌석 선점이 만료되었습니다' : 'Your seat hold expired',
      blocks,
    );
  },
};

export function renderEmail<T extends TemplateName>(
  name: T,
  data: TemplateData[T],
  locale: Locale,
): RenderedEmail {
  return templates[name](data, locale);
}
