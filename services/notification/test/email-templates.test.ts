import { WEB_LANGUAGE_PARAM } from '@tiketi/contracts';
import { describe, expect, it } from 'vitest';
import { renderEmail, type TemplateData } from '../src/domain/email-templates.ts';

const event = {
  title: 'IU — The Golden Hour',
  startsAt: new Date('2027-03-20T10:00:00Z'),
  venueName: 'KSPO DOME',
};
const refund: TemplateData['payment-refunded'] = {
  name: 'Alex',
  event,
  amount: 66_000,
  totalRefunded: 66_000,
  full: false,
  lateApproval: false,
  cause: undefined,
  cancelReason: null,
  seatCount: 1,
  orderId: 'order-1',
  reservationsUrl: 'http://localhost:3000/me/tickets',
};

describe('email templates', () => {
  it('writes every template in Korean and in English', () => {
    const cases = [
      ['welcome', { name: '민지', eventsUrl: 'http://localhost:3000/' }],
      [
        'password-changed',
        {
          name: '민지',
          how: 'change',
          at: new Date('2027-03-01T03:30:00Z'),
          forgotUrl: 'http://localhost:3000/forgot-password',
        },
      ],
      [
        'tickets-issued',
        {
          name: '민지',
          event,
          seatLabels: ['A-1'],
          amount: 132_000,
          reservationId: 'r-1',
          ticketsUrl: 'http://localhost:3000/me/tickets',
          tickets: [],
        },
      ],
      ['payment-refunded', refund],
      [
        'reservation-expired',
        { name: '민지', event, seatCount: 2, eventUrl: 'http://localhost:3000/events/1' },
      ],
      [
        'waitlist-offer-expired',
        { name: '민지', event, seatCount: 2, eventUrl: 'http://localhost:3000/events/1' },
      ],
      [
        'waitlist-offered',
        {
          name: '민지',
          event,
          seatLabels: ['A-1', 'A-2'],
          standingAreas: [],
          amount: 300_000,
          expiresAt: new Date('2027-03-01T03:30:00Z'),
          checkoutUrl: 'http://localhost:3000/checkout/r-1',
        },
      ],
    ] as const;
    for (const [template, data] of cases) {
      const ko = renderEmail(template, data as never, 'ko');
      const en = renderEmail(template, data as never, 'en');
      expect(ko.subject).toMatch(/^\[Tiketi\] .*[가-힣]/);
      expect(en.subject).toMatch(/^\[Tiketi\] [\x20-\x7E—]+$/);
      expect(ko.html).toContain('<html lang="ko">');
      expect(en.text).toContain('This email was sent by Tiketi.');
    }
  });

  it("opens the web app in the mail's language, whatever the browser's, keeping the link's own query", () => {
    const link = 'http://localhost:3000/reset-password?token=t1';
    for (const locale of ['ko', 'en'] as const) {
      const mail = renderEmail(
        'password-reset',
        { name: '민지', linkUrl: link, expiresAt: new Date('2027-03-01T03:30:00Z') },
        locale,
      );
      const href = /<a href="([^"]+)"/.exec(mail.html)?.[1]?.replaceAll('&amp;', '&');
      const texted = /: (http\S+)/.exec(mail.text)?.[1];
      for (const opened of [href, texted]) {
        const url = new URL(opened ?? '');
        expect(url.pathname).toBe('/reset-password');
        expect(url.searchParams.get('token')).toBe('t1');
        expect(url.searchParams.get(WEB_LANGUAGE_PARAM)).toBe(locale);
      }
    }
  });

  it('tells a refund of an amount, seats kept, as money given back and not as seats cancelled', () => {
    const goodwill = { ...refund, amount: 100_000, totalRefunded: 100_000, seatCount: 0 };
    const ko = renderEmail('payment-refunded', goodwill, 'ko');
    expect(ko.text).not.toContain('0석');
    expect(ko.text).toContain('100,000원이 환불되었습니다');
    expect(ko.text).toContain('예매하신 좌석은 모두 그대로 유효합니다');
    const en = renderEmail('payment-refunded', goodwill, 'en');
    expect(en.text).not.toContain('0 seat');
    expect(en.text).toContain('Your seats all remain valid');
  });

  it('tells a partial refund from a full one and from a late-approval refund', () => {
    expect(renderEmail('payment-refunded', refund, 'en').subject).toBe(
      '[Tiketi] Your partial refund is complete',
    );
    expect(renderEmail('payment-refunded', { ...refund, full: true }, 'ko').subject).toBe(
      '[Tiketi] 환불이 완료되었습니다',
    );
    const late = renderEmail('payment-refunded', { ...refund, full: true, lateApproval: true }, 'ko');
    expect(late.subject).toBe('[Tiketi] 결제가 자동 환불되었습니다');
    expect(late.text).toContain('좌석 선점 시간이 끝난 뒤에 승인되어');
    expect(late.text).toContain('66,000원');
  });

  it('says plainly that the event was cancelled and that the whole amount comes back by itself', () => {
    const cancelled = {
      ...refund,
      full: true,
      cause: 'event_cancelled' as const,
      cancelReason: 'The artist is ill',
    };
    const en = renderEmail('payment-refunded', cancelled, 'en');
    expect(en.subject).toBe('[Tiketi] Cancelled: IU — The Golden Hour, refunded in full');
    expect(en.text).toContain(
      'Alex, “IU — The Golden Hour” was cancelled. Everything you paid is refunded to you automatically; there is nothing you need to do.',
    );
    expect(en.text).not.toContain('your booking was cancelled');
    expect(en.text).toContain('The artist is ill');
    const ko = renderEmail('payment-refunded', cancelled, 'ko');
    expect(ko.subject).toBe('[Tiketi] 공연 취소 및 전액 환불: IU — The Golden Hour');
    expect(ko.text).toContain('예매하신 「IU — The Golden Hour」 공연이 취소되었습니다.');
    expect(ko.text).toContain('전액 자동으로 환불되었으며, 따로 하실 일은 없습니다.');
    expect(ko.text).toContain('66,000원');

    // The event service may not know the event any more; the email still says what happened.
    const untitled = renderEmail('payment-refunded', { ...cancelled, event: undefined }, 'en');
    expect(untitled.subject).toBe('[Tiketi] Your event was cancelled and refunded in full');
    expect(untitled.text).toContain('Alex, the event you booked was cancelled.');
  });

  it('names a standing ticket by its area and entry number, not by the place picked for it', () => {
    const data: TemplateData['tickets-issued'] = {
      name: '민지',
      event,
      seatLabels: ['Floor-P17', 'A-1-3'],
      amount: 264_000,
      reservationId: 'r-1',
      orderId: 'tiketi-0193abc',
      ticketsUrl: 'http://localhost:3000/me/tickets',
      tickets: [
        { seatLabel: 'Floor-P17', entry: { section: 'Floor', number: 42 }, code: 'ABCDE-23456', cid: 'qr-1' },
        { seatLabel: 'A-1-3', entry: null, code: 'FGHJK-78923', cid: 'qr-2' },
      ],
    };
    const ko = renderEmail('tickets-issued', data, 'ko');
    expect(ko.text).toContain('Floor 스탠딩 입장 번호 42번, A-1-3');
    expect(ko.text).toContain('Floor 스탠딩 입장 번호 42번 · ABCDE-23456');
    expect(ko.text).not.toContain('Floor-P17');
    // The order's number as the site and the refund mail give it.
    expect(ko.text).toContain('주문 번호: tiketi-0193abc');
    expect(ko.text).not.toContain('r-1');
    const en = renderEmail('tickets-issued', data, 'en');
    expect(en.text).toContain('Floor standing, entry no. 42 · ABCDE-23456');
    expect(en.html).toContain('Floor standing, entry no. 42');
  });

  it('offers standing places from the waiting list as tickets, not as seats', () => {
    const data: TemplateData['waitlist-offered'] = {
      name: 'Alex',
      event,
      seatLabels: ['Floor-P3', 'Floor-P9'],
      standingAreas: ['Floor'],
      amount: 220_000,
      expiresAt: new Date('2027-03-01T03:30:00Z'),
      checkoutUrl: 'http://localhost:3000/checkout/r-1',
    };
    const en = renderEmail('waitlist-offered', data, 'en');
    expect(en.text).toContain('we are holding 2 tickets of the event you waited for');
    expect(en.text).not.toMatch(/seat\(s\)/);
    const ko = renderEmail('waitlist-offered', data, 'ko');
    expect(ko.text).toContain('티켓 2매');
    expect(ko.text).not.toContain('좌석 2석');
  });

  it('names standing places by area in the mails of a hold that ended and of a partial refund', () => {
    const places = { seatCount: 3, seatLabels: ['A-1-3', 'Floor-P3', 'Floor-P9'], standingAreas: ['Floor'] };
    const ended = { name: 'Alex', event, eventUrl: 'http://localhost:3000/events/1', ...places };
    for (const template of ['reservation-expired', 'waitlist-offer-expired'] as const) {
      const en = renderEmail(template, ended, 'en');
      expect(en.text).toContain('3 tickets (A-1-3, Floor standing × 2)');
      expect(en.text).not.toMatch(/seat\(s\)|Floor-P/);
      const ko = renderEmail(template, ended, 'ko');
      expect(ko.text).toContain('티켓 3매(A-1-3, Floor 스탠딩 × 2)');
      expect(ko.text).not.toMatch(/좌석 \d+석|Floor-P/);
    }
    const partial = { ...refund, ...places, seatLabels: ['Floor-P3', 'Floor-P9'], seatCount: 2 };
    expect(renderEmail('payment-refunded', partial, 'en').text).toContain(
      'Alex, 2 tickets (Floor standing × 2) were cancelled and refunded. Your other tickets remain valid.',
    );
    expect(renderEmail('payment-refunded', partial, 'ko').text).toContain('티켓 2매(Floor 스탠딩 × 2)');
    // An event from before the labels were carried: counted as seats, as it always was.
    expect(renderEmail('reservation-expired', { ...ended, seatLabels: undefined }, 'en').text).toContain(
      'your hold on 3 seats expired',
    );
  });

  it('counts tickets and seats in English as one or many, never as "ticket(s)"', () => {
    const ended = { name: 'Alex', event, eventUrl: 'http://localhost:3000/events/1' };
    const one = { seatCount: 1, seatLabels: ['A-1-3'], standingAreas: [] };
    const two = { seatCount: 2, seatLabels: ['A-1-3', 'A-1-4'], standingAreas: [] };
    const offer = { event, standingAreas: [], amount: 110_000, expiresAt: new Date('2027-03-01T03:30:00Z') };
    const texts = (seats: typeof one) => [
      renderEmail('reservation-expired', { ...ended, ...seats }, 'en').text,
      renderEmail('reservation-expired', { ...ended, seatCount: seats.seatCount }, 'en').text,
      renderEmail('waitlist-offer-expired', { ...ended, ...seats }, 'en').text,
      renderEmail('waitlist-offer-expired', { ...ended, seatCount: seats.seatCount }, 'en').text,
      renderEmail('payment-refunded', { ...refund, ...seats }, 'en').text,
      renderEmail('payment-refunded', { ...refund, seatCount: seats.seatCount }, 'en').text,
      renderEmail(
        'waitlist-offered',
        {
          ...offer,
          name: 'Alex',
          seatLabels: seats.seatLabels,
          checkoutUrl: 'http://localhost:3000/checkout/r-1',
        },
        'en',
      ).text,
    ];
    for (const text of texts(one)) {
      expect(text).not.toMatch(/\(s\)/);
      expect(text).toMatch(/\b1 (ticket|seat)\b(?!s)/);
    }
    for (const text of texts(two)) {
      expect(text).not.toMatch(/\(s\)/);
      expect(text).toMatch(/\b2 (tickets|seats)\b/);
    }
    expect(texts(one)[0]).toContain('your hold on 1 ticket (A-1-3) expired');
    expect(texts(two)[4]).toContain('Alex, 2 tickets (A-1-3, A-1-4) were cancelled and refunded.');
  });

  it('says the seats of an expired hold went to other fans, not that they went back on sale', () => {
    // A concert with a waiting list offers them to the next fan on it first.
    const ended = { name: 'Alex', event, eventUrl: 'http://localhost:3000/events/1', seatCount: 2 };
    for (const data of [ended, { ...ended, seatLabels: ['A-1-3', 'A-1-4'], standingAreas: [] }]) {
      const en = renderEmail('reservation-expired', data, 'en').text;
      expect(en).toContain('released for other fans');
      expect(en).not.toContain('back on sale');
      const ko = renderEmail('reservation-expired', data, 'ko').text;
      expect(ko).toContain('다른 팬에게 돌아갔습니다');
      expect(ko).not.toContain('다시 판매');
    }
  });

  it('names the time zone of every time in both languages, as the web app does', () => {
    const offer: TemplateData['waitlist-offered'] = {
      name: '민지',
      event,
      seatLabels: ['A-1'],
      standingAreas: [],
      amount: 110_000,
      expiresAt: new Date('2027-03-01T03:30:00Z'),
      checkoutUrl: 'http://localhost:3000/checkout/r-1',
    };
    // A fan abroad reads the mail too: 19:00 and 12:30 in Seoul are not their local times.
    const ko = renderEmail('waitlist-offered', offer, 'ko');
    expect(ko.text).toContain('일시: 2027년 3월 20일 토요일 오후 7:00 (KST)');
    expect(ko.text).toContain('결제 기한: 2027년 3월 1일 월요일 오후 12:30 (KST)');
    const en = renderEmail('waitlist-offered', offer, 'en');
    expect(en.text).toContain('Pay before: Monday, 1 March 2027 at 12:30 (KST)');
    const link = renderEmail(
      'verify-email',
      { name: '민지', linkUrl: 'http://localhost:3000/verify-email?token=t', expiresAt: offer.expiresAt },
      'ko',
    );
    expect(link.text).toContain('링크 유효 기간: 2027년 3월 1일 월요일 오후 12:30 (KST)');
  });

  it('escapes what users and operators wrote in the HTML but keeps it readable in the text', () => {
    const email = renderEmail(
      'tickets-issued',
      {
        name: '<b>Eve</b>',
        event: { ...event, title: 'Rock & <Roll>' },
        seatLabels: ['A-1'],
        amount: undefined,
        tickets: [],
        reservationId: 'r-1',
        orderId: undefined,
        ticketsUrl: 'http://localhost:3000/me/tickets',
      },
      'en',
    );
    expect(email.html).toContain('&lt;b&gt;Eve&lt;/b&gt;');
    expect(email.html).toContain('Rock &amp; &lt;Roll&gt;');
    expect(email.html).not.toContain('<b>Eve</b>');
    expect(email.text).toContain('Rock & <Roll>');
    expect(email.text).not.toContain('Paid');
  });
});
