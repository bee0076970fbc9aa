import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Problem } from '@tiketi/contracts';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { fill, type Locale } from '../src/lib/i18n.tsx';
import { en, ko, type MessageKey } from '../src/lib/messages.ts';

/*
 * What a refused request says, in each of the app's languages, from the problem+json the services send:
 * the app's own sentence for a code and for a field's reason, the server's English only where the app has
 * none, and never an empty message.
 */

type Api = typeof import('../src/lib/api.ts');
let api: Api;

beforeAll(async () => {
  // The session store listens to the window for other tabs when it loads; nothing else of a page is needed.
  vi.stubGlobal('window', new EventTarget());
  api = await import('../src/lib/api.ts');
});

const dictionaries: Record<Locale, Record<MessageKey, string>> = { en, ko };

/** The page's `t` in `locale`, as the I18nProvider makes it. */
function say(locale: Locale) {
  return {
    locale,
    t: (key: MessageKey, vars?: Record<string, string | number>) =>
      fill(locale, dictionaries[locale][key], vars),
  };
}

function refused(status: number, code: string, detail: string, extra: Partial<Problem> = {}) {
  const problem: Problem = { type: 'about:blank', title: 'Bad Request', status, detail, code, ...extra };
  return new api.ApiError(status, detail, code, problem);
}

/** The blanks a text fills: `{name}`, and the number a plural form (`{n, plural, …}`) is chosen by. */
const placeholders = (text: string) =>
  [
    ...new Set(
      [...text.matchAll(/(?<!(?:=\d+|zero|one|two|few|many|other) )\{(\w+)(?:\}|, plural,)/g)].map(
        (m) => m[1],
      ),
    ),
  ].sort();

/**
 * Codes the services answer that no page of the app can meet: refusals of the HTTP exchange itself (a
 * malformed path, a method a route does not take, a websocket upgrade) and of the waiting room's socket,
 * and the email links' own codes, which their pages name themselves.
 */
const NOT_FOR_PAGES = new Set([
  'BAD_PATH',
  'BAD_PREFLIGHT',
  'EXPECTATION_FAILED',
  'HEADERS_TOO_LARGE',
  'MALFORMED_REQUEST',
  'METHOD_NOT_ALLOWED',
  'PATH_TOO_LONG',
  'UPGRADE_NOT_SUPPORTED',
  'SOCKET_HANDSHAKE_REFUSED',
  'TOO_MANY_CONNECTIONS',
  'VERIFICATION_NEEDS_SIGN_IN',
]);

/** The problem codes the services' and the kit's sources answer with (`new HttpProblem(409, 'CODE', …)`). */
function answeredCodes(): Set<string> {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const dirs = [
    'packages/kit/src',
    ...readdirSync(`${root}services`).map((service) => `services/${service}/src`),
  ];
  const codes = new Set<string>();
  for (const dir of dirs) {
    for (const file of readdirSync(`${root}${dir}`, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const source = readFileSync(`${root}${dir}/${file}`, 'utf8');
      for (const m of source.matchAll(
        /(?:HttpProblem\(\s*\d+,\s*|conflict\(\s*|unprocessable\(\s*)'([A-Z_]+)'/g,
      ))
        codes.add(m[1] as string);
    }
  }
  return codes;
}

/**
 * Reasons no page meets: the tracking beacon's (sent by the app itself, never shown), the challenge's
 * `eventId` (the app asks with it), and the socket's event name (not a reason).
 */
const REASONS_NOT_FOR_PAGES = new Set([
  'is required without a bearer token',
  'is required for 10',
  'must be 8-128 letters, digits, "-" or "_"',
  'eventId is required for purpose=join and not allowed for the other purposes',
  'error',
]);

/**
 * The reasons the services, the contracts and the kit give a refused field, as their sources write them
 * (`message: '…'`, `error: '…'`, a schema's `.regex(/…/, '…')`, `.min(n, '…')`, `.max(n, '…')`), each blank
 * (`${…}`) filled with the constant it names, or with 10.
 */
function fieldReasons(): Set<string> {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const dirs = [
    'packages/kit/src',
    'packages/contracts/src',
    ...readdirSync(`${root}services`).map((service) => `services/${service}/src`),
  ];
  const reasons = new Set<string>();
  for (const dir of dirs) {
    for (const file of readdirSync(`${root}${dir}`, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const source = readFileSync(`${root}${dir}/${file}`, 'utf8');
      const constants = new Map(
        [...source.matchAll(/const (\w+) = '([^'\n]*)'/g)].map((c) => [c[1] as string, c[2] as string]),
      );
      for (const m of source.matchAll(
        /(?:\b(?:message|error):\s*|\.(?:regex\(\/(?:\\.|[^/\n])*\/[a-z]*|min\([^,()]+|max\([^,()]+),\s*(?:\{\s*error:\s*)?)(['`])((?:\\.|(?!\1).)*?)\1/g,
      )) {
        const text = (m[2] as string)
          .replace(/\$\{([^}]*)\}/g, (_, name: string) => constants.get(name) ?? '10')
          .replace(/\\(.)/g, '$1');
        if (/^[A-Z_]+$/.test(text) || text.includes('\n')) continue;
        reasons.add(text);
      }
    }
  }
  return reasons;
}

/**
 * The codes a payment is ended with (the payment service's `fail(conn, p, 'FAILED', CODE, …)`), and the
 * Toss codes the sandbox refuses a checkout or confirm with, which become a payment's failure as they are;
 * with the code Toss's fail URL carries when the fan gives up at its page. Not the refusals of a refund or
 * a lookup, which never end a payment.
 */
function failureCodes(): Set<string> {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const codes = new Set<string>(['PAY_PROCESS_CANCELED']);
  const dir = `${root}services/payment/src`;
  const sources = readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .map((file) => readFileSync(`${dir}/${file}`, 'utf8'))
    .join('\n');
  const constants = new Map(
    [...sources.matchAll(/const ([A-Z_]+) = '([A-Z_]+)'/g)].map((m) => [m[1], m[2]] as const),
  );
  for (const m of sources.matchAll(
    /fail\(\s*\w+,\s*\w+,\s*'(?:FAILED|EXPIRED)',\s*(?:'([A-Z_]+)'|([A-Z_]+))/g,
  )) {
    const code = m[1] ?? constants.get(m[2] as string);
    if (code) codes.add(code);
  }
  const sandbox = readFileSync(`${root}sandbox/toss/src/store.ts`, 'utf8');
  const notAnEnding = new Set([
    'ALREADY_PROCESSED_PAYMENT',
    'ALREADY_CANCELED_PAYMENT',
    'NOT_FOUND_PAYMENT',
    'NOT_CANCELABLE_PAYMENT',
    'NOT_CANCELABLE_AMOUNT',
    'NOT_MATCHES_REFUNDABLE_AMOUNT',
  ]);
  for (const m of sandbox.matchAll(/new SandboxError\(\s*\d+,\s*'([A-Z_]+)'/g)) {
    if (!notAnEnding.has(m[1] as string)) codes.add(m[1] as string);
  }
  return codes;
}

describe('the message catalogues', () => {
  it('fill the same blanks in every language', () => {
    for (const key of Object.keys(en) as MessageKey[]) {
      expect({ key, blanks: placeholders(ko[key]) }).toEqual({ key, blanks: placeholders(en[key]) });
    }
  });

  it('count in English with the plural form the number takes, never "ticket(s)"', () => {
    const written = Object.entries(en).filter(([, text]) => /[a-z]\(s\)/.test(text));
    expect(written).toEqual([]);
    // A count put straight before a plural noun reads "1 seats" when it is one: each takes a plural form.
    const countedAsMany = Object.entries(en).filter(([, text]) =>
      /\{\w+\} (minutes|hours|places|tickets|seats|views|times|characters|letters|holds)\b/.test(text),
    );
    expect(countedAsMany.map(([key]) => key)).toEqual([]);
    const { t } = say('en');
    expect(t('adm.holdsDetail', { reservations: 1, seats: 1 })).toBe('1 hold, 1 seat');
    expect(t('adm.holdsDetail', { reservations: 2, seats: 3 })).toBe('2 holds, 3 seats');
    expect(t('seats.holdPlaces', { n: 1 })).toBe('Hold 1 place');
    expect(t('tickets.ticketCount', { n: 1 })).toBe('1 ticket');
    expect(t('tickets.ticketCount', { n: 2 })).toBe('2 tickets');
    expect(t('waitlist.wish', { n: 1, tier: 'R' })).toBe('Waiting for 1 seat, R.');
    expect(t('problem.STANDING_SOLD_OUT', { left: 1, section: 'Floor' })).toBe(
      'Only 1 place is left in Floor standing. Please choose fewer.',
    );
    expect(t('problem.STANDING_SOLD_OUT', { left: 3, section: 'Floor' })).toBe(
      'Only 3 places are left in Floor standing. Please choose fewer.',
    );
    // Korean counts with a counter word, the same for every number.
    expect(say('ko').t('tickets.ticketCount', { n: 2 })).toBe('티켓 2매');
  });

  it('give every English plural form a branch for one and one for the rest', () => {
    for (const [key, text] of Object.entries(en)) {
      for (const m of text.matchAll(/\{\w+, plural,(.*?)\}\s*\}/g)) {
        expect({ key, one: m[1]?.includes('one {'), other: m[1]?.includes('other {') }).toEqual({
          key,
          one: true,
          other: true,
        });
      }
    }
  });

  it("never put a library's or a protocol's own word before a fan or an operator", () => {
    // "ALTCHA maxnumber" meant nothing to an operator; what the setting does is what the page must say.
    const jargon = /\b(ALTCHA|maxnumber|JWT|UUID|HMAC|SHA-256|null|undefined|NaN)\b/;
    for (const dictionary of [en, ko]) {
      const named = Object.entries(dictionary).filter(([, text]) => jargon.test(text));
      expect(named).toEqual([]);
    }
  });

  it('never put a Korean particle right after a blank, whose last sound only the value knows', () => {
    // "바우처 DUP2026를" reads wrong (2026 ends in a consonant); "(으)로" and sentences built around the
    // value are how the catalogue says it.
    const glued = Object.entries(ko).filter(([, text]) =>
      /\}(을|를|이|가|은|는|과|와|로)(?=[\s.,!?]|$)/.test(text),
    );
    expect(glued).toEqual([]);
  });

  it('have a sentence for every code a service answers a page with', () => {
    const codes = answeredCodes();
    // The scan itself still finds what it looks for.
    expect(codes).toContain('PER_USER_LIMIT');
    const missing = [...codes].filter((code) => !NOT_FOR_PAGES.has(code) && !(`problem.${code}` in en));
    expect(missing).toEqual([]);
  });

  it('have a sentence for every reason a service gives a refused field', () => {
    const reasons = fieldReasons();
    // The scan itself still finds what it looks for, in each of the ways a reason is written.
    expect(reasons).toContain('is in the past');
    expect(reasons).toContain('letters, digits, - and _ only');
    expect(reasons).toContain('must have at least 10 characters');
    const untranslated = [...reasons].filter((reason) => {
      if (REASONS_NOT_FOR_PAGES.has(reason)) return false;
      const said = api.errorMessage(
        refused(400, 'VALIDATION_FAILED', 'The request is invalid', {
          errors: [{ field: 'body.name', message: reason }],
        }),
        say('ko'),
      );
      return said.includes(reason);
    });
    expect(untranslated).toEqual([]);
  });

  it('have a sentence for every way a payment can end unpaid, which the fail page and checkout say', () => {
    const codes = failureCodes();
    // The scans themselves still find what they look for.
    expect(codes).toContain('HOLD_EXPIRED');
    expect(codes).toContain('REJECT_CARD_PAYMENT');
    const missing = [...codes].filter((code) => !(`problem.${code}` in en));
    expect(missing).toEqual([]);
  });
});

describe('a refused form', () => {
  it('names each field and why, in the page language', () => {
    const samePassword = refused(400, 'VALIDATION_FAILED', 'The password must not be your email address.', {
      errors: [{ field: 'body.password', message: 'must not be the email address' }],
    });
    expect(api.errorMessage(samePassword, say('ko'))).toBe(
      '입력하신 내용을 확인해 주세요. 비밀번호: 이메일 주소와 같을 수 없습니다.',
    );
    expect(api.errorMessage(samePassword, say('en'))).toBe(
      'Please check what you entered: password must not be your email address.',
    );
  });

  it('reads the request schema reasons with their numbers', () => {
    const tooLong = refused(400, 'VALIDATION_FAILED', 'The request is invalid', {
      errors: [
        { field: 'body.name', message: 'Too big: expected string to have <=100 characters' },
        { field: 'body.email', message: 'Invalid email address' },
        { field: 'body.perUserLimit', message: 'Too small: expected number to be >=1' },
        { field: 'body.title', message: 'Invalid input: expected string, received undefined' },
      ],
    });
    expect(api.errorMessage(tooLong, say('ko'))).toBe(
      '입력하신 내용을 확인해 주세요. 이름: 100자 이하여야 합니다. 이메일: 올바른 이메일 주소가 아닙니다. ' +
        '1인당 매수 제한: 1 이상이어야 합니다. 제목: 필수 항목입니다.',
    );
  });

  it("reads the services' own reasons in the page language: a sign-up's password, a hold's seats", () => {
    const signUp = refused(400, 'VALIDATION_FAILED', 'The request is invalid', {
      errors: [
        { field: 'body.password', message: 'must have at least 10 characters' },
        { field: 'body.name', message: 'must contain a letter or a digit' },
      ],
    });
    expect(api.errorMessage(signUp, say('ko'))).toBe(
      '입력하신 내용을 확인해 주세요. 비밀번호: 10자 이상이어야 합니다. 이름: 글자나 숫자가 하나 이상 있어야 합니다.',
    );
    const hold = refused(400, 'VALIDATION_FAILED', 'At most 4 seats can be held at once.', {
      errors: [{ field: 'body.seatIds', message: 'has more than 4 seats' }],
    });
    expect(api.errorMessage(hold, say('ko'))).toBe(
      '입력하신 내용을 확인해 주세요. 좌석: 한 번에 4석까지 선점할 수 있습니다.',
    );
    expect(api.errorMessage(hold, say('en'))).toBe(
      'Please check what you entered: seats may be at most 4 in one hold.',
    );
  });

  it("names an event's times by the event form's own labels, so the operator finds the field", () => {
    const window = refused(400, 'VALIDATION_FAILED', 'The event is invalid', {
      errors: [
        { field: 'body.saleClosesAt', message: 'must be after saleOpensAt' },
        { field: 'body.startsAt', message: 'is in the past' },
      ],
    });
    expect(api.errorMessage(window, say('ko'))).toBe(
      '입력하신 내용을 확인해 주세요. 예매 마감: 예매 시작보다 뒤여야 합니다. 공연 시작: 이미 지난 시각입니다.',
    );
    for (const field of ['title', 'description', 'startsAt', 'saleOpensAt', 'saleClosesAt'] as const)
      expect(ko[`field.${field}`]).toBe(ko[`adm.${field}`]);
  });

  it("names a venue section's name as the section's, not as the venue's own name", () => {
    const twice = refused(400, 'VALIDATION_FAILED', 'The seat layout is inconsistent', {
      errors: [{ field: 'body.sections.1.name', message: 'is used twice' }],
    });
    expect(api.errorMessage(twice, say('ko'))).toBe(
      '입력하신 내용을 확인해 주세요. 구역 이름: 중복되었습니다.',
    );
    expect(api.errorMessage(twice, say('en'))).toBe(
      'Please check what you entered: section name is used twice.',
    );
  });

  it('says a reason the app has no sentence for as the server did, beside the field in the page language', () => {
    const unknown = refused(400, 'VALIDATION_FAILED', 'The seat layout is inconsistent', {
      errors: [{ field: 'body.sections.0.rows.1.seats.2.label', message: 'is taken by a newer layout' }],
    });
    expect(api.errorMessage(unknown, say('ko'))).toBe(
      '입력하신 내용을 확인해 주세요. 이름: is taken by a newer layout.',
    );
  });

  it('says the server detail when the refusal names no field, never an empty list', () => {
    const unnamed = refused(400, 'VALIDATION_FAILED', 'Give seatIds or amount, not both.');
    expect(api.errorMessage(unnamed, say('en'))).toBe(
      'Please check what you entered: Give seatIds or amount, not both.',
    );
    const bare = new api.ApiError(400, '400 Bad Request', 'HTTP_400');
    expect(api.errorMessage(bare, say('ko'))).toBe('입력하신 내용을 확인해 주세요.');
  });

  it('says why an email is not sent again when the service gives its reason', () => {
    const over = refused(409, 'CANNOT_SEND_AGAIN', 'This offer is over.', { reason: 'offer_over' } as never);
    expect(api.errorMessage(over, say('en'))).toMatch(/^This waiting-list offer is over/);
    expect(api.errorMessage(over, say('ko'))).toMatch(/^대기 순번으로 드린 좌석 제안이 끝나/);
    const void_ = refused(409, 'CANNOT_SEND_AGAIN', 'No valid ticket.', { reason: 'tickets_void' } as never);
    expect(api.errorMessage(void_, say('en'))).toMatch(/^This order has no valid ticket any more/);
    const plain = refused(409, 'CANNOT_SEND_AGAIN', 'This email is itself a copy.');
    expect(api.errorMessage(plain, say('en'))).toBe('This email cannot be sent again.');
  });

  it("says a code of the app's own in the page language, and an unknown code in the server's words", () => {
    const published = refused(409, 'EVENT_PUBLISHED', 'venueId cannot change once the event is published.');
    expect(api.errorMessage(published, say('ko'))).toMatch(/^공개되어 좌석을 판매 중인 공연입니다/);
    const strange = refused(409, 'SOMETHING_NEW', 'Something new went wrong.');
    expect(api.errorMessage(strange, say('ko'))).toBe('Something new went wrong.');
  });
});

describe('a payment Toss refused with a code the app has no sentence for', () => {
  it("says Toss's own words on a Korean page, and names the code on a page in another language", () => {
    const failure = { code: 'SOME_NEW_TOSS_CODE', message: '카드사에서 승인을 거절했습니다.' };
    expect(api.tossFailureMessage(failure, say('ko'))).toBe('카드사에서 승인을 거절했습니다.');
    const english = api.tossFailureMessage(failure, say('en'));
    expect(english).toContain('SOME_NEW_TOSS_CODE');
    expect(english).not.toMatch(/[가-힣]/);
    // Words Toss gave in English are shown as they came; none at all stay none (the page leaves the reason out).
    expect(api.tossFailureMessage({ code: 'X', message: 'Card refused.' }, say('en'))).toBe('Card refused.');
    expect(api.tossFailureMessage({ code: 'X', message: '' }, say('en'))).toBe('');
  });
});
