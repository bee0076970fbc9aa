import { type EventData, partPlaces } from '@tiketi/contracts';
import { howMany, isOne } from '@tiketi/kit';
import type { Locale } from '../db/schema.ts';
import {
  composeEmail,
  type EmailContent,
  formatWhen,
  formatWon,
  type RenderedEmail,
} from './email-layout.ts';

export type EventInfo = { title: string; startsAt: Date | undefined; venueName: string | null | undefined };

/**
 * The seats and standing places a mail is about, by label with the event's standing areas when its event
 * carried them (`seatLabels`); an event announced before they were added gives only how many seats.
 */
type PlacesNamed = {
  seatCount: number;
  seatLabels?: string[] | undefined;
  standingAreas?: string[] | undefined;
};

/** A hold that ended unpaid: the fan's own, or a waiting-list offer they let lapse. */
type HoldEnded = PlacesNamed & { name: string; event: EventInfo | undefined; eventUrl: string };

/** A link with a one-time token (verification, password reset), and until when it works. */
type MailedLink = { name: string; linkUrl: string; expiresAt: Date };

export type TemplateData = {
  welcome: { name: string; eventsUrl: string };
  'verify-email': MailedLink;
  'registration-repeated': { name: string; loginUrl: string };
  'password-changed': { name: string; how: 'change' | 'reset'; at: Date; forgotUrl: string };
  'password-reset': MailedLink;
  'tickets-issued': {
    name: string;
    event: EventInfo | undefined;
    seatLabels: string[];
    amount: number | undefined;
    reservationId: string;
    /** The order's number on the site and in the refund mail; absent from tickets issued before it was sent. */
    orderId: string | undefined;
    ticketsUrl: string;
    /**
     * Each ticket's QR (an inline image) and the short code printed under it, with a standing place's entry
     * number; empty when unknown.
     */
    tickets: {
      seatLabel: string;
      entry: { section: string; number: number } | null;
      code: string;
      cid: string;
    }[];
  };
  'payment-refunded': {
    name: string;
    event: EventInfo | undefined;
    amount: number;
    totalRefunded: number;
    full: boolean;
    lateApproval: boolean;
    cause: EventData<'payment.refunded'>['cause'];
    /** What the operator said when cancelling the event (refunds the cancellation called for). */
    cancelReason: string | null;
    orderId: string;
    reservationsUrl: string;
  } & PlacesNamed;
  'event-rescheduled': {
    name: string;
    /** The concert as it is now: its new time. */
    event: EventInfo | undefined;
    previousStartsAt: Date;
    ticketCount: number;
    ticketsUrl: string;
  };
  'waitlist-closed': {
    name: string;
    event: EventInfo | undefined;
    quantity: number;
    /** What the operator said when cancelling the event. */
    cancelReason: string | null;
    eventsUrl: string;
  };
  'reservation-expired': HoldEnded;
  'waitlist-offer-expired': HoldEnded;
  'waitlist-offered': {
    name: string;
    event: EventInfo | undefined;
    seatLabels: string[];
    /** The event's standing areas: their places are listed by count, not by the labels the server picked. */
    standingAreas: string[];
    amount: number;
    expiresAt: Date;
    checkoutUrl: string;
  };
};

export type TemplateName = keyof TemplateData;

/** Picks the Korean or the English wording, written side by side so neither language falls behind. */
type Say = (ko: string, en: string) => string;

function eventRows(event: EventInfo | undefined, say: Say, locale: Locale): [string, string][] {
  if (!event) return [];
  const rows: [string, string][] = [[say('공연', 'Event'), event.title]];
  if (event.startsAt) rows.push([say('일시', 'When'), formatWhen(event.startsAt, locale)]);
  if (event.venueName) rows.push([say('장소', 'Where'), event.venueName]);
  return rows;
}

/** Where a ticket lets its holder in: the seat, or for a standing place the area and entry number. */
function placeOf(t: TemplateData['tickets-issued']['tickets'][number], say: Say): string {
  if (!t.entry) return t.seatLabel;
  const { section, number } = t.entry;
  return say(`${section} 스탠딩 입장 번호 ${number}번`, `${section} standing, entry no. ${number}`);
}

/** Seat labels as a fan reads them: seats by label, a standing area's places as "Floor standing × 2". */
function seatsAndPlaces(labels: string[], areas: string[], say: Say): string {
  const { seats, places } = partPlaces(labels, areas, (label) => label);
  const counted = [...places].map(([area, p]) =>
    say(`${area} 스탠딩 × ${p.length}`, `${area} standing × ${p.length}`),
  );
  return [...seats, ...counted].join(', ');
}

/** The places of `d` as a fan reads them ("A-1-3, Floor standing × 2"), or undefined when only counted. */
function namedPlaces(d: PlacesNamed, say: Say): string | undefined {
  if (!d.seatLabels?.length) return undefined;
  return seatsAndPlaces(d.seatLabels, d.standingAreas ?? [], say);
}

/** A refund of some of an order's seats or places: which ones, when the refund named them. */
function partialRefund(d: TemplateData['payment-refunded'], say: Say): string {
  const places = namedPlaces(d, say);
  if (places) {
    return say(
      `${d.name}님, 티켓 ${d.seatCount}매(${places})의 예매가 취소되고 해당 금액이 환불되었습니다. 나머지 티켓은 그대로 유효합니다.`,
      `${d.name}, ${howMany(d.seatCount, 'ticket', 'tickets')} (${places}) ${isOne(d.seatCount) ? 'was' : 'were'} cancelled and refunded. Your other tickets remain valid.`,
    );
  }
  return say(
    `${d.name}님, 좌석 ${d.seatCount}석이 취소되고 해당 금액이 환불되었습니다. 나머지 좌석은 그대로 유효합니다.`,
    `${d.name}, ${howMany(d.seatCount, 'seat', 'seats')} ${isOne(d.seatCount) ? 'was' : 'were'} cancelled and refunded. Your other seats remain valid.`,
  );
}

const templates: { [T in TemplateName]: (d: TemplateData[T], say: Say, locale: Locale) => EmailContent } = {
  welcome: (d, say) => ({
    subject: say('[Tiketi] 가입을 환영합니다', '[Tiketi] Welcome to Tiketi'),
    heading: say(`${d.name}님, 환영합니다!`, `Welcome, ${d.name}!`),
    intro: say(
      'Tiketi 회원이 되신 것을 환영합니다. 좋아하는 아티스트의 공연을 가장 먼저 만나보세요.',
      'Your Tiketi account is ready. Be first in line for the artists you love.',
    ),
    button: { label: say('공연 둘러보기', 'Browse concerts'), url: d.eventsUrl },
  }),

  'verify-email': (d, say, locale) => ({
    subject: say('[Tiketi] 이메일 주소를 인증해 주세요', '[Tiketi] Please verify your email address'),
    heading: say('이메일 주소 인증', 'Verify your email address'),
    // No name: whoever registered chose it, and the address has not been proved to be theirs.
    intro: say(
      '아래 버튼을 눌러 이메일 주소를 인증하시면 좌석을 예매하실 수 있습니다.',
      'Verify your email address with the button below to start booking seats.',
    ),
    rows: [[say('링크 유효 기간', 'Link valid until'), formatWhen(d.expiresAt, locale)]],
    note: say(
      'Tiketi에 가입하신 적이 없다면 이 메일을 무시해 주세요. 인증하지 않은 계정은 아무것도 예매할 수 없습니다.',
      'If you did not sign up for Tiketi, ignore this email: an account that is not verified cannot book anything.',
    ),
    button: { label: say('이메일 인증하기', 'Verify my email'), url: d.linkUrl },
  }),

  'password-reset': (d, say, locale) => ({
    subject: say('[Tiketi] 비밀번호 재설정 안내', '[Tiketi] Set a new password'),
    heading: say('비밀번호 재설정', 'Set a new password'),
    intro: say(
      `${d.name}님, 아래 버튼을 눌러 새 비밀번호를 정해 주세요. 새 비밀번호를 정하면 다른 기기의 로그인은 모두 끝납니다.`,
      `${d.name}, choose a new password with the button below. Once you do, every other device signed in to your account is signed out.`,
    ),
    rows: [[say('링크 유효 기간', 'Link valid until'), formatWhen(d.expiresAt, locale)]],
    note: say(
      '비밀번호 재설정을 요청하신 적이 없다면 이 메일을 무시해 주세요. 비밀번호는 바뀌지 않습니다.',
      'If you did not ask for this, ignore this email: your password stays as it is.',
    ),
    button: { label: say('새 비밀번호 정하기', 'Choose a new password'), url: d.linkUrl },
  }),

  'password-changed': (d, say, locale) => ({
    subject: say('[Tiketi] 비밀번호가 변경되었습니다', '[Tiketi] Your password was changed'),
    heading: say('비밀번호 변경 안내', 'Your password was changed'),
    intro: say(
      `${d.name}님, 회원님의 Tiketi 비밀번호가 ${d.how === 'reset' ? '재설정 링크로 새로 설정' : '변경'}되었습니다. 다른 기기의 로그인은 모두 끝났습니다.`,
      `${d.name}, the password of your Tiketi account was ${d.how === 'reset' ? 'set anew through a reset link' : 'changed'}. Every other device signed in to it was signed out.`,
    ),
    rows: [[say('일시', 'When'), formatWhen(d.at, locale)]],
    note: say(
      '직접 바꾸셨다면 이 메일은 무시하셔도 됩니다. 본인이 아니라면 지금 바로 새 비밀번호를 설정해 계정을 되찾으세요.',
      'If it was you, you can ignore this email. If it was not, set a new password now to take your account back.',
    ),
    button: { label: say('새 비밀번호 설정하기', 'Set a new password'), url: d.forgotUrl },
  }),

  'registration-repeated': (d, say) => ({
    subject: say(
      '[Tiketi] 회원님의 이메일로 가입 시도가 있었습니다',
      '[Tiketi] Someone tried to sign up with your email address',
    ),
    heading: say('이미 가입된 이메일입니다', 'You already have an account'),
    intro: say(
      `${d.name}님, 누군가 회원님의 이메일 주소로 Tiketi 가입을 시도했습니다. 새 계정은 만들어지지 않았고, 회원님의 계정은 그대로입니다.`,
      `${d.name}, someone tried to sign up for Tiketi with your email address. No new account was made and yours is unchanged.`,
    ),
    note: say(
      '직접 시도하셨다면 기존 계정으로 로그인해 주세요. 본인이 아니라면 이 메일을 무시하셔도 됩니다.',
      'If it was you, sign in to your existing account instead. If it was not, you can ignore this email.',
    ),
    button: { label: say('로그인하기', 'Sign in'), url: d.loginUrl },
  }),

  'tickets-issued'(d, say, locale) {
    const title = d.event?.title;
    const rows: [string, string][] = [
      ...eventRows(d.event, say, locale),
      // The tickets, when known, say where each lets its holder in (a standing place by its entry number).
      [
        say('좌석', 'Seats'),
        (d.tickets.length ? d.tickets.map((t) => placeOf(t, say)) : d.seatLabels).join(', '),
      ],
    ];
    if (d.amount !== undefined) rows.push([say('결제 금액', 'Paid'), formatWon(d.amount, locale)]);
    rows.push(
      d.orderId ? [say('주문 번호', 'Order'), d.orderId] : [say('예매 번호', 'Booking'), d.reservationId],
    );
    return {
      subject: say(
        `[Tiketi] 예매 완료: ${title ?? '티켓 발급'}`,
        `[Tiketi] Your tickets${title ? ` for ${title}` : ''}`,
      ),
      heading: say('예매가 완료되었습니다', 'Your tickets are ready'),
      intro: say(
        `${d.name}님, 예매가 완료되었습니다. 공연 당일 입장 시 모바일 티켓의 QR 코드를 보여주세요.`,
        `${d.name}, your booking is confirmed. Show the QR code of your mobile ticket at the entrance.`,
      ),
      rows,
      images: d.tickets.map((t) => ({
        cid: t.cid,
        alt: say(`${placeOf(t, say)} 입장 QR 코드`, `Entry QR code for ${placeOf(t, say)}`),
        caption: `${placeOf(t, say)} · ${t.code}`,
      })),
      note: d.tickets.length
        ? say(
            '티켓 PDF를 첨부했습니다. 인쇄하거나 휴대폰에 저장해 입장 시 보여주세요.',
            'Your tickets are attached as a PDF: print it or keep it on your phone for the entrance.',
          )
        : undefined,
      button: { label: say('내 티켓 보기', 'View my tickets'), url: d.ticketsUrl },
    };
  },

  'payment-refunded'(d, say, locale) {
    const rows: [string, string][] = [
      ...eventRows(d.event, say, locale),
      [say('환불 금액', 'Refunded'), formatWon(d.amount, locale)],
    ];
    if (d.totalRefunded !== d.amount) {
      rows.push([say('누적 환불', 'Refunded in total'), formatWon(d.totalRefunded, locale)]);
    }
    rows.push([say('주문 번호', 'Order'), d.orderId]);
    const facts = {
      rows,
      note: say(
        '카드사에 따라 환불이 반영되기까지 3~7 영업일이 걸릴 수 있습니다.',
        'Depending on your card issuer, the refund may take 3–7 business days to appear.',
      ),
      button: { label: say('예매 내역 보기', 'View my bookings'), url: d.reservationsUrl },
    };
    if (d.lateApproval) {
      return {
        ...facts,
        subject: say(
          '[Tiketi] 결제가 자동 환불되었습니다',
          '[Tiketi] Your payment was refunded automatically',
        ),
        heading: say(
          '좌석 선점 시간이 지나 결제가 환불되었습니다',
          'Your seat hold expired before the payment arrived',
        ),
        intro: say(
          `${d.name}님, 결제가 좌석 선점 시간이 끝난 뒤에 승인되어 좌석을 확보하지 못했습니다. 결제하신 금액은 전액 자동으로 환불되었습니다. 불편을 드려 죄송합니다.`,
          `${d.name}, your payment was approved after your seat hold had expired, so we could not keep the seats. We refunded the full amount automatically. We are sorry for the trouble.`,
        ),
      };
    }
    if (d.cause === 'event_cancelled') {
      const title = d.event?.title;
      return {
        ...facts,
        rows: d.cancelReason ? [[say('취소 사유', 'Reason'), d.cancelReason], ...rows] : rows,
        subject: title
          ? say(`[Tiketi] 공연 취소 및 전액 환불: ${title}`, `[Tiketi] Cancelled: ${title}, refunded in full`)
          : say(
              '[Tiketi] 공연 취소 및 전액 환불 안내',
              '[Tiketi] Your event was cancelled and refunded in full',
            ),
        heading: say('공연이 취소되었습니다', 'The event was cancelled'),
        intro: say(
          `${d.name}님, 예매하신 ${title ? `「${title}」 ` : ''}공연이 취소되었습니다. 결제하신 금액은 전액 자동으로 환불되었으며, 따로 하실 일은 없습니다.`,
          `${d.name}, ${title ? `“${title}”` : 'the event you booked'} was cancelled. Everything you paid is refunded to you automatically; there is nothing you need to do.`,
        ),
      };
    }
    return {
      ...facts,
      subject: d.full
        ? say('[Tiketi] 환불이 완료되었습니다', '[Tiketi] Your refund is complete')
        : say('[Tiketi] 부분 환불이 완료되었습니다', '[Tiketi] Your partial refund is complete'),
      heading: say('환불 안내', 'Refund'),
      intro: d.full
        ? say(
            `${d.name}님, 예매가 취소되고 결제 금액이 환불되었습니다.`,
            `${d.name}, your booking was cancelled and your payment refunded.`,
          )
        : d.seatCount === 0
          ? say(
              `${d.name}님, 결제하신 금액 중 ${formatWon(d.amount, 'ko')}이 환불되었습니다. 예매하신 좌석은 모두 그대로 유효합니다.`,
              `${d.name}, ${formatWon(d.amount, 'en')} of your payment was refunded. Your seats all remain valid.`,
            )
          : partialRefund(d, say),
    };
  },

  'event-rescheduled'(d, say, locale) {
    const title = d.event?.title;
    return {
      subject: title
        ? say(`[Tiketi] 공연 일정 변경: ${title}`, `[Tiketi] ${title} has moved to a new date`)
        : say('[Tiketi] 공연 일정이 변경되었습니다', '[Tiketi] Your concert has moved to a new date'),
      heading: say('공연 일정이 변경되었습니다', 'Your concert has a new date'),
      intro: say(
        `${d.name}님, 예매하신 ${title ? `「${title}」 ` : ''}공연의 일정이 변경되었습니다. 가지고 계신 티켓 ${d.ticketCount}매는 바뀐 일정에 그대로 유효하며, 따로 하실 일은 없습니다.`,
        `${d.name}, ${title ? `“${title}”` : 'the concert you booked'} has moved. Your ${isOne(d.ticketCount) ? 'ticket stays' : `${d.ticketCount} tickets stay`} valid for the new time; there is nothing you need to do.`,
      ),
      rows: [
        ...eventRows(d.event, say, locale),
        [say('이전 일시', 'Was'), formatWhen(d.previousStartsAt, locale)],
      ],
      note: say(
        '바뀐 일정에 관람하실 수 없다면 평소의 취소 규정에 따라 내 티켓에서 예매를 취소하실 수 있습니다.',
        'If you cannot come at the new time, you can cancel your booking from My tickets under the usual cancellation rules.',
      ),
      button: { label: say('내 티켓 보기', 'View my tickets'), url: d.ticketsUrl },
    };
  },

  'reservation-expired': (d, say, locale) => ({
    subject: say('[Tiketi] 좌석 선점 시간이 만료되었습니다', '[Tiketi] Your seat hold expired'),
    heading: say('좌석 선점이 만료되었습니다', 'Your seat hold expired'),
    intro: ((places) =>
      places
        ? say(
            `${d.name}님, 결제가 완료되지 않아 티켓 ${d.seatCount}매(${places})의 선점이 만료되어 다른 팬에게 돌아갔습니다. 결제된 금액은 없습니다.`,
            `${d.name}, your hold on ${howMany(d.seatCount, 'ticket', 'tickets')} (${places}) expired before payment was completed, so ${isOne(d.seatCount) ? 'it was' : 'they were'} released for other fans. You were not charged.`,
          )
        : say(
            `${d.name}님, 결제가 완료되지 않아 좌석 ${d.seatCount}석의 선점이 만료되어 좌석이 다른 팬에게 돌아갔습니다. 결제된 금액은 없습니다.`,
            `${d.name}, your hold on ${howMany(d.seatCount, 'seat', 'seats')} expired before payment was completed, so ${isOne(d.seatCount) ? 'the seat was' : 'the seats were'} released for other fans. You were not charged.`,
          ))(namedPlaces(d, say)),
    rows: eventRows(d.event, say, locale),
    button: { label: say('다시 예매하기', 'Try again'), url: d.eventUrl },
  }),

  'waitlist-offer-expired': (d, say, locale) => ({
    subject: say('[Tiketi] 대기 명단 좌석 제안이 만료되었습니다', '[Tiketi] Your waiting-list offer expired'),
    heading: say('대기 명단 제안이 만료되었습니다', 'Your waiting-list offer expired'),
    intro: ((places) =>
      places
        ? say(
            `${d.name}님, 결제 기한이 지나 대기 명단으로 잡아 두었던 티켓 ${d.seatCount}매(${places})는 대기 명단의 다음 분께, 기다리는 분이 없으면 일반 판매로 넘어갔습니다. 결제된 금액은 없으며, 이 공연의 대기 명단에서도 빠지셨습니다.`,
            `${d.name}, the time to pay for the ${howMany(d.seatCount, 'ticket', 'tickets')} (${places}) we held for you from the waiting list has passed, so ${isOne(d.seatCount) ? 'it' : 'they'} went to the next fan on the list, or back on sale if nobody was waiting. You were not charged, and you are no longer on this event's waiting list.`,
          )
        : say(
            `${d.name}님, 결제 기한이 지나 대기 명단으로 잡아 두었던 좌석 ${d.seatCount}석은 대기 명단의 다음 분께, 기다리는 분이 없으면 일반 판매로 넘어갔습니다. 결제된 금액은 없으며, 이 공연의 대기 명단에서도 빠지셨습니다.`,
            `${d.name}, the time to pay for the ${howMany(d.seatCount, 'seat', 'seats')} we held for you from the waiting list has passed, so ${isOne(d.seatCount) ? 'it' : 'they'} went to the next fan on the list, or back on sale if nobody was waiting. You were not charged, and you are no longer on this event's waiting list.`,
          ))(namedPlaces(d, say)),
    rows: eventRows(d.event, say, locale),
    note: say(
      '아직 매진이라면 공연 페이지에서 대기 명단에 다시 신청하실 수 있습니다.',
      'If the event is still sold out, you can join its waiting list again on the event page.',
    ),
    button: { label: say('공연 페이지로', 'Go to the event'), url: d.eventUrl },
  }),

  'waitlist-closed'(d, say, locale) {
    const title = d.event?.title;
    return {
      subject: title
        ? say(`[Tiketi] 공연 취소: ${title}`, `[Tiketi] Cancelled: ${title}`)
        : say('[Tiketi] 대기하신 공연이 취소되었습니다', '[Tiketi] The event you waited for was cancelled'),
      heading: say('공연이 취소되었습니다', 'The event was cancelled'),
      intro: say(
        `${d.name}님, 대기 명단에 신청하신 ${title ? `「${title}」 ` : ''}공연이 취소되어 대기 명단이 마감되었습니다. 결제된 금액은 없으며, 따로 하실 일은 없습니다.`,
        `${d.name}, ${title ? `“${title}”` : 'the event'} you were on the waiting list for was cancelled, so its waiting list has closed. You were not charged, and there is nothing you need to do.`,
      ),
      rows: [
        ...(d.cancelReason ? ([[say('취소 사유', 'Reason'), d.cancelReason]] as [string, string][]) : []),
        ...eventRows(d.event, say, locale),
        [say('신청 매수', 'Tickets asked for'), String(d.quantity)],
      ],
      button: { label: say('다른 공연 보기', 'Browse other concerts'), url: d.eventsUrl },
    };
  },

  'waitlist-offered': (d, say, locale) => ({
    subject: say('[Tiketi] 대기하신 좌석이 나왔습니다', '[Tiketi] Seats are waiting for you'),
    heading: say('대기 명단 좌석 제안', 'Seats from the waiting list'),
    intro: say(
      `${d.name}님, 대기 명단에 신청하신 공연의 티켓 ${d.seatLabels.length}매를 회원님을 위해 잡아 두었습니다. 아래 시각까지 결제하시면 회원님의 티켓이 됩니다.`,
      `${d.name}, we are holding ${howMany(d.seatLabels.length, 'ticket', 'tickets')} of the event you waited for, in your name. Pay before the time below and ${isOne(d.seatLabels.length) ? 'it is' : 'they are'} yours.`,
    ),
    rows: [
      ...eventRows(d.event, say, locale),
      [say('좌석', 'Seats'), seatsAndPlaces(d.seatLabels, d.standingAreas, say)],
      [say('금액', 'Amount'), formatWon(d.amount, locale)],
      [say('결제 기한', 'Pay before'), formatWhen(d.expiresAt, locale)],
    ],
    note: say(
      '기한까지 결제하지 않으시면 좌석은 대기 명단의 다음 분께 넘어갑니다. 이 링크는 회원님의 계정으로 로그인해야 열립니다.',
      'If you do not pay by then, the seats go to the next fan on the list. The link opens only when you are signed in to your account.',
    ),
    button: { label: say('지금 결제하기', 'Pay now'), url: d.checkoutUrl },
  }),
};

export function renderEmail<T extends TemplateName>(
  name: T,
  data: TemplateData[T],
  locale: Locale,
): RenderedEmail {
  const say: Say = (ko, en) => (locale === 'ko' ? ko : en);
  return composeEmail(locale, templates[name](data, say, locale));
}
