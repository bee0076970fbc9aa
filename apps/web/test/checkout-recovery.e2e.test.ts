import type { Request as PageRequest } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { TEST_PORT_SHIFT } from '../../../scripts/lib/isolated-platform.ts';
import {
  accessTokenOf,
  apiJson,
  asOperator,
  concertOnSale,
  endHoldNow,
  holdFirstFreeSeat,
  screenshotAtWidths,
  signUpVerified,
  siteOnPlatform,
  UI_TIMEOUT,
  WEB,
} from './browser.ts';

/*
 * A Korean fan at checkout when things go wrong, in a real browser against the whole platform: a declined
 * card, the hold lengthened by opening Toss, a hold that runs out, a payment approved after its hold ended,
 * a confirm Toss does not answer, a concert cancelled under the fan's hold; then "my tickets" with its orders, each ticket's state and Toss's receipt.
 */

/** The demo seed's concert without a waiting room: Blue Square, at most 2 seats a person. */
const OPEN_EVENT = '01936b2a-0000-7000-8000-000000000002';
const TOSS = `http://127.0.0.1:${4101 + TEST_PORT_SHIFT}`;
const TOSS_CHECKOUT = new RegExp(`:${4101 + TEST_PORT_SHIFT}/checkout/`);
/** Short holds, so one runs out within the test; opening Toss still lengthens it to ten minutes. */
const HOLD_TTL_SECONDS = 60;
/** How long an unanswered confirm is left to its caller before reconciliation asks Toss itself. */
const RECONCILE_AFTER_SECONDS = 15;
const fan = {
  name: '최결제',
  email: `fan-checkout-${Date.now()}@example.com`,
  password: 'correct-horse-battery',
};
const orders: { declinedOrderId?: string; paidOrderId?: string } = {};

const site = siteOnPlatform({
  label: 'web_checkout',
  env: {
    HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS),
    // The demo concert starts weeks from now; the operator checks a ticket in below.
    CHECK_IN_OPENS_MINUTES_BEFORE: String(366 * 24 * 60),
    // A confirm Toss did not answer is settled by reconciliation within seconds rather than minutes.
    RECONCILE_INTERVAL_MS: '2000',
    RECONCILE_AFTER_MS: String(RECONCILE_AFTER_SECONDS * 1000),
  },
});

/** Makes the Toss sandbox fail the calls a fault names (POST), or answer normally again (DELETE). */
async function sandboxFaults(method: 'POST' | 'DELETE', fault?: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${TOSS}/sandbox/faults`, {
    method,
    ...(fault ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(fault) } : {}),
  });
  expect(res.ok).toBe(true);
}

/** The minutes of a `m:ss` time shown in the text. */
const minutesIn = (text: string) => Number(/(\d+):\d\d/.exec(text)?.[1] ?? Number.NaN);

describe('a declined card', () => {
  it(
    'tells the fan before Toss opens that the hold will be lengthened',
    site.step(async () => {
      const page = site.page;
      await signUpVerified(page, fan);
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));

      await holdFirstFreeSeat(page, OPEN_EVENT);
      expect(await page.getByTestId('hold-rule').innerText()).toBe(
        '결제창을 열면 결제를 마칠 수 있도록 선점 시간이 10분으로 연장됩니다.',
      );
      expect(minutesIn(await page.getByRole('timer').innerText())).toBeLessThan(2);
      await screenshotAtWidths(page, 'checkout-01-hold-rule');
    }),
    120_000,
  );

  it(
    'shows why Toss declined it, not a success, and keeps the seats held',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('button', { name: '토스로 결제하기' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      await page.locator('#reject').click();
      await page.waitForURL(/\/payments\/fail\?/, { timeout: UI_TIMEOUT });
      orders.declinedOrderId = new URL(page.url()).searchParams.get('orderId') ?? undefined;
      const failed = page.getByTestId('payment-failed');
      await failed.getByText('카드 결제가 거절되었습니다. 결제된 금액은 없습니다.').waitFor();
      expect(await failed.innerText()).toContain(
        '사유: 한도초과 혹은 잔액부족으로 카드 결제가 거절되었습니다.',
      );
      // Said once, in our words, without the raw code.
      expect(await failed.innerText()).not.toContain('REJECT_CARD_PAYMENT');
      expect(await page.getByText('결제가 완료되었습니다').count()).toBe(0);
      // Opening Toss lengthened the hold well past the short hold of this platform.
      const held = page.getByRole('timer');
      await expect.poll(() => held.innerText(), { timeout: UI_TIMEOUT }).toMatch(/계속 선점됩니다/);
      expect(minutesIn(await held.innerText())).toBeGreaterThanOrEqual(8);
      await screenshotAtWidths(page, 'checkout-02-declined');
      // The same page from a link someone else wrote: words put in its address are not shown as Toss's.
      const declined = page.url();
      const forged = new URL(declined);
      forged.searchParams.set('code', 'SOMETHING_ELSE');
      forged.searchParams.set('message', '환불을 받으려면 010-1234-5678로 전화하세요');
      await page.goto(forged.href);
      await page.getByTestId('payment-failed').waitFor();
      expect(await page.getByTestId('payment-failed').innerText()).not.toContain('010-1234-5678');
      expect(await page.content()).not.toContain('010-1234-5678');
      await page.goto(declined);
    }),
    90_000,
  );

  it(
    'says nothing was charged when the fan cancels at Toss, in English too, and the hold stays',
    site.step(async () => {
      const page = site.page;
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'en'));
      await page.reload();
      await page.getByRole('link', { name: 'Try again with a new payment' }).click();
      await page
        .getByText(
          'Your last payment did not go through: The card was declined: the limit was exceeded or the balance is too low.',
        )
        .waitFor();
      await page.getByText('Reservation status: Held').waitFor();
      // The voucher field is gone once a payment was asked for: the page says why, rather than nothing.
      expect(await page.getByTestId('voucher-locked').innerText()).toBe(
        'A voucher code can be added only before the first payment: the amount of this order stays as it is now.',
      );
      await page.getByRole('button', { name: 'Pay with Toss' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      await page.locator('#cancel').click();
      await page.waitForURL(/\/payments\/fail\?/, { timeout: UI_TIMEOUT });
      const failed = page.getByTestId('payment-failed');
      await failed.getByText('The payment did not go through. Nothing was charged.').waitFor();
      expect(await failed.innerText()).toContain('Reason: You cancelled the payment.');
      await page
        .getByRole('timer')
        .getByText(/stay held for you/)
        .waitFor();
      await page.evaluate(() => localStorage.setItem('tiketi.locale', 'ko'));
      await page.reload();
      await failed.getByText('결제가 완료되지 않았습니다. 결제된 금액은 없습니다.').waitFor();
      expect(await failed.innerText()).toContain('사유: 결제를 취소하셨습니다.');
    }),
    90_000,
  );

  it(
    'sends a fan back from Toss with another amount to a new payment, never to a dead Toss page',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('link', { name: '새 결제로 다시 시도하기' }).click();
      await page.getByRole('button', { name: '토스로 결제하기' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      // Paid at Toss, back with an address whose amount was changed on the way.
      const paymentKey = new URL(page.url()).pathname.split('/').pop();
      const authorized = await fetch(`${TOSS}/sandbox/payments/${paymentKey}/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const back = new URL(((await authorized.json()) as { redirectUrl: string }).redirectUrl);
      back.searchParams.set('amount', '1000');
      await page.goto(back.href);
      await page.waitForURL(/\/payments\/fail\?/, { timeout: UI_TIMEOUT });
      const failed = page.getByTestId('payment-failed');
      await failed.getByText('결제가 완료되지 않았습니다. 결제된 금액은 없습니다.').waitFor();
      expect(await failed.innerText()).toContain('사유: 결제 금액이 주문과 다릅니다.');
    }),
    90_000,
  );

  it(
    'tries again with a new payment, saying the hold was lengthened, and pays',
    site.step(async () => {
      const page = site.page;
      await page.getByRole('link', { name: '새 결제로 다시 시도하기' }).click();
      await page.waitForURL(/\/checkout\//);
      await page.getByText('결제창을 열어 선점 시간이 10분으로 연장되었습니다.').waitFor();
      expect(await page.getByTestId('hold-rule').count()).toBe(0);
      await screenshotAtWidths(page, 'checkout-03-try-again');
      await page.getByRole('button', { name: '토스로 결제하기' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/success\?/);
      await page.getByText('결제가 완료되었습니다').waitFor();
      orders.paidOrderId = new URL(page.url()).searchParams.get('orderId') ?? undefined;
      expect(orders.paidOrderId).toBeTruthy();
      expect(orders.paidOrderId).not.toBe(orders.declinedOrderId);
    }),
    90_000,
  );
});

describe('my tickets', () => {
  it(
    'groups tickets by order, with each ticket’s state and Toss’s receipt',
    site.step(async () => {
      const page = site.page;
      // A second order, refunded below.
      await holdFirstFreeSeat(page, OPEN_EVENT);
      await page.getByRole('button', { name: '토스로 결제하기' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      await page.locator('#pay').click();
      await page.getByText('결제가 완료되었습니다').waitFor();

      // The first order's ticket is checked in at the door.
      const token = await accessTokenOf(page);
      const payments = await apiJson<{ items: { orderId: string; reservationId: string }[] }>(
        `/api/payments?orderId=${orders.paidOrderId}`,
        token,
      );
      const firstReservation = payments.items[0]?.reservationId;
      const tickets = await apiJson<{ items: { id: string; reservationId: string }[] }>(
        '/api/tickets',
        token,
      );
      const used = tickets.items.find((t) => t.reservationId === firstReservation);
      const { qr } = await apiJson<{ qr: string }>(`/api/tickets/${used?.id}`, token);
      await asOperator('POST', '/api/tickets/check-in', { qr });

      await page.goto('/me/tickets');
      const orderCards = page.locator('li.order');
      await expect.poll(() => orderCards.count(), { timeout: UI_TIMEOUT }).toBe(2);
      const first = page.locator(`li.order[data-reservation-id="${firstReservation}"]`);
      const second = page.locator(`li.order:not([data-reservation-id="${firstReservation}"])`);
      await first.getByText(`주문 ${orders.paidOrderId}`).waitFor();
      expect(await first.getByTestId('ticket-status').allInnerTexts()).toEqual(['입장 완료']);
      // A used ticket is not refundable by its buyer: the order offers no refund.
      expect(await first.getByRole('button', { name: '환불 요청' }).count()).toBe(0);

      // The page asks first, naming the order as the page does.
      let asked = '';
      page.once('dialog', (dialog) => {
        asked = dialog.message();
        void dialog.accept();
      });
      await second.getByRole('button', { name: '환불 요청' }).click();
      await expect
        .poll(() => second.getByTestId('ticket-status').allInnerTexts(), { timeout: UI_TIMEOUT })
        .toEqual(['무효 (환불됨)']);
      expect(asked).toBe('이 주문을 환불할까요? 티켓은 더 이상 사용할 수 없습니다.');
      for (const order of [first, second]) {
        const receipt = order.getByRole('link', { name: '토스 영수증' });
        const href = (await receipt.getAttribute('href')) ?? '';
        expect(href).toMatch(new RegExp(`:${4101 + TEST_PORT_SHIFT}/receipts/`));
        expect((await fetch(href)).status).toBe(200);
      }
      await screenshotAtWidths(page, 'checkout-04-my-tickets');
    }),
    120_000,
  );
});

describe('a hold that runs out', () => {
  it(
    'leads back to the seat map',
    site.step(async () => {
      const page = site.page;
      await holdFirstFreeSeat(page, OPEN_EVENT);
      await page
        .getByText('선점 시간이 끝나 좌석이 다른 팬에게 돌아갔습니다.')
        .waitFor({ timeout: (HOLD_TTL_SECONDS + 30) * 1000 });
      await screenshotAtWidths(page, 'checkout-05-expired');
      await page.getByRole('link', { name: '좌석 다시 선택하기' }).click();
      await page.waitForURL(`${WEB}/events/${OPEN_EVENT}/seats`);
    }),
    150_000,
  );
});

describe('a payment approved after its hold ended', () => {
  it(
    'says at checkout that the fan was charged and refunded in full, and leads back to the seat map',
    site.step(async () => {
      const page = site.page;
      // A seat of section B: the first free one of A, let run out twice, is kept from this fan for a while.
      await holdFirstFreeSeat(page, OPEN_EVENT, 'B');
      const reservationId = new URL(page.url()).pathname.split('/').pop() ?? '';
      const token = await accessTokenOf(page);
      await page.getByRole('button', { name: '토스로 결제하기' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      // The fan lingers at Toss past the hold, lengthened to ten minutes: its end is brought forward.
      await endHoldNow(site.platform, reservationId);
      await expect
        .poll(
          async () => (await apiJson<{ status: string }>(`/api/reservations/${reservationId}`, token)).status,
          {
            timeout: UI_TIMEOUT,
          },
        )
        .toBe('EXPIRED');
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/fail\?/, { timeout: UI_TIMEOUT });
      await page
        .getByTestId('payment-failed')
        .getByText(/전액 환불되었으며/)
        .waitFor({ timeout: UI_TIMEOUT });

      await page.goto(`/checkout/${reservationId}`);
      const refunded = page.getByTestId('late-refund');
      await refunded.waitFor({ timeout: UI_TIMEOUT });
      expect(await refunded.innerText()).toBe(
        '선점 시간이 끝나 좌석이 다른 팬에게 돌아간 뒤에 결제가 승인되었습니다. 결제하신 금액은 전액 환불되었으며 안내 메일을 보내 드렸습니다. 카드사에 따라 환불이 반영되기까지 3~7 영업일이 걸릴 수 있습니다.',
      );
      expect(await page.getByText('선점 시간이 끝나 좌석이 다른 팬에게 돌아갔습니다.').count()).toBe(0);
      await screenshotAtWidths(page, 'checkout-09-late-refund');
      await page.getByRole('link', { name: '좌석 다시 선택하기' }).click();
      await page.waitForURL(`${WEB}/events/${OPEN_EVENT}/seats`);
    }),
    90_000,
  );
});

describe('a confirm Toss does not answer', () => {
  it(
    'says on the success page and at checkout that the payment is being confirmed, and shows it paid once settled',
    site.step(async () => {
      const page = site.page;
      await holdFirstFreeSeat(page, OPEN_EVENT);
      const checkout = page.url();
      await page.getByRole('button', { name: '토스로 결제하기' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      // Toss fails every confirm (the fan's, the webhook's, reconciliation's) until it answers again below.
      await sandboxFaults('POST', { operation: 'confirm', mode: 'error', status: 500, times: 1000 });
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/success\?/);
      // The success page says what the checkout says, in the same words, and offers no Retry that cannot help.
      const said = page.getByTestId('payment-confirming');
      await said.waitFor({ timeout: UI_TIMEOUT });
      expect(await said.innerText()).toContain('토스페이먼츠에서 결제를 확인하고 있습니다.');
      expect(await page.getByRole('button', { name: '다시 시도' }).count()).toBe(0);

      // The same payment at checkout, in another tab, while the success page stays open.
      const other = await page.context().newPage();
      try {
        await other.goto(checkout);
        const confirming = other.getByTestId('payment-confirming');
        await confirming.waitFor({ timeout: UI_TIMEOUT });
        expect(await confirming.innerText()).toBe(await said.innerText());
        expect(await other.getByRole('button', { name: '토스로 결제하기' }).count()).toBe(0);
        expect(await other.getByRole('button', { name: '좌석 반납하기' }).count()).toBe(0);
        await screenshotAtWidths(other, 'checkout-08-confirming');

        // Toss answers again: reconciliation approves the payment, and both pages show it without a reload.
        await sandboxFaults('DELETE');
        for (const shown of [other, page]) {
          await shown
            .getByText('결제가 완료되었습니다. 티켓이 발급되었습니다.')
            .waitFor({ timeout: (RECONCILE_AFTER_SECONDS + 30) * 1000 });
          await shown.getByRole('link', { name: '내 티켓 보기' }).waitFor();
          expect(await shown.getByTestId('payment-confirming').count()).toBe(0);
        }
        expect(await page.getByTestId('paid-places').innerText()).not.toBe('');
      } finally {
        await other.close();
      }
    }),
    120_000,
  );
});

describe('a concert cancelled under the fan’s hold', () => {
  it(
    'says so at checkout with the reason, and leads to the concert page, which says it too',
    site.step(async () => {
      const page = site.page;
      const eventId = await concertOnSale('취소될 공연');
      await holdFirstFreeSeat(page, eventId);
      const reason = '아티스트의 건강 문제로 공연을 취소합니다';
      await asOperator('POST', `/api/events/${eventId}/cancel`, { reason });
      await page
        .getByText('이 공연은 취소되어 결제할 수 없습니다. 결제된 금액은 없습니다.')
        .waitFor({ timeout: UI_TIMEOUT });
      await page.getByText(`취소 사유: ${reason}`).waitFor();
      expect(await page.getByRole('button', { name: '토스로 결제하기' }).count()).toBe(0);
      await screenshotAtWidths(page, 'checkout-06-event-cancelled');

      await page.getByRole('link', { name: '공연 페이지 보기' }).click();
      await page.waitForURL(`${WEB}/events/${eventId}`);
      expect(await page.getByTestId('cancel-reason').innerText()).toBe(`취소 사유: ${reason}`);
      await screenshotAtWidths(page, 'checkout-07-event-page-cancelled');
      // The seat map of the cancelled concert, opened from an old link, offers no seats.
      await page.goto(`/events/${eventId}/seats`);
      const closed = page.getByTestId('seats-closed');
      await closed.waitFor({ timeout: UI_TIMEOUT });
      expect(await closed.innerText()).toContain('취소');
      expect(await page.getByRole('button', { name: /좌석 선점/ }).count()).toBe(0);
      expect(site.blocked).toEqual([]);
    }),
    120_000,
  );
});

describe('a double tap on Pay', () => {
  it(
    'asks for one payment, the button busy meanwhile, and another tab opens that same payment',
    site.step(async () => {
      const page = site.page;
      const eventId = await concertOnSale('두 번 누른 결제');
      await holdFirstFreeSeat(page, eventId);
      const reservationId = new URL(page.url()).pathname.split('/').pop() ?? '';
      const token = await accessTokenOf(page);
      // A slow network: the second tap comes while the first request is still on its way.
      const asked: string[] = [];
      await page.route('**/api/payments/toss/request', async (route) => {
        asked.push(route.request().postData() ?? '');
        await new Promise((resolve) => setTimeout(resolve, 1500));
        await route.continue();
      });
      const pay = page.getByRole('button', { name: '토스로 결제하기' });
      // Two taps before the page has drawn the first one's answer (a busy phone does that).
      await pay.evaluate((button: HTMLButtonElement) => {
        button.click();
        button.click();
      });
      expect(await pay.isDisabled()).toBe(true);
      expect(await pay.getAttribute('aria-busy')).toBe('true');
      await page.waitForURL(TOSS_CHECKOUT);
      await page.unroute('**/api/payments/toss/request');
      expect(asked).toHaveLength(1);
      const payments = () =>
        apiJson<{ items: { orderId: string; status: string }[] }>(
          `/api/payments?reservationId=${reservationId}`,
          token,
        );
      expect((await payments()).items).toHaveLength(1);

      // The same hold paid from a second tab meanwhile: Toss's page of that same payment, not a new one.
      const other = await page.context().newPage();
      try {
        await other.goto(`/checkout/${reservationId}`);
        await other.getByRole('button', { name: '토스로 결제하기' }).click();
        await other.waitForURL(TOSS_CHECKOUT);
        expect(other.url()).toBe(page.url());
      } finally {
        await other.close();
      }
      expect((await payments()).items).toHaveLength(1);
      await page.locator('#pay').click();
      await page.waitForURL(/\/payments\/success\?/);
      await page.getByText('결제가 완료되었습니다').waitFor();
      expect((await payments()).items).toMatchObject([{ status: 'COMPLETED' }]);
    }),
    120_000,
  );
});

describe('a phone that loses its connection at checkout', () => {
  it(
    'is told at once that Tiketi cannot be reached, and nothing goes out by itself once back online',
    site.step(async () => {
      const page = site.page;
      const eventId = await concertOnSale('연결이 끊긴 결제');
      await holdFirstFreeSeat(page, eventId);
      const reservationId = new URL(page.url()).pathname.split('/').pop() ?? '';
      const token = await accessTokenOf(page);
      const sent: string[] = [];
      const seeSent = (request: PageRequest) => {
        if (request.method() !== 'GET') sent.push(`${request.method()} ${new URL(request.url()).pathname}`);
      };
      page.on('request', seeSent);
      await page.context().setOffline(true);
      try {
        // Giving the seats back with no connection: said at once, not a button that only greys out.
        await page.getByRole('button', { name: '좌석 반납하기' }).click();
        await page
          .getByRole('alert')
          .getByText('티켓이에 연결할 수 없습니다', { exact: false })
          .waitFor({ timeout: UI_TIMEOUT });
      } finally {
        await page.context().setOffline(false);
      }
      // What the page tried while offline failed there; from here on, nothing was asked for.
      sent.length = 0;
      // Back online, the fan's earlier tap does not go out by itself: the seats are still theirs.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(sent.filter((s) => s.startsWith('DELETE'))).toEqual([]);
      const held = await apiJson<{ status: string }>(`/api/reservations/${reservationId}`, token);
      expect(held.status).toBe('PENDING');
      page.off('request', seeSent);
      // A connection that stalls (the request leaves, no answer ever comes): after a while the page says
      // so and the button can be pressed again, rather than staying pressed while the hold runs out.
      await page.route('**/api/payments/toss/request', () => undefined);
      const pay = page.getByRole('button', { name: '토스로 결제하기' });
      await pay.click();
      await page
        .getByRole('alert')
        .getByText('티켓이의 응답이 너무 늦습니다', { exact: false })
        .waitFor({ timeout: 45_000 });
      expect(await pay.isEnabled()).toBe(true);
      await page.unroute('**/api/payments/toss/request');
      // And paying works as soon as the fan asks.
      await pay.click();
      await page.waitForURL(TOSS_CHECKOUT);
    }),
    120_000,
  );
});

describe('a refund asked for from a tab opened before the order was refunded in another', () => {
  it(
    'shows the order as refunded, its ticket void, not a refusal beside a valid ticket',
    site.step(async () => {
      const page = site.page;
      const eventId = await concertOnSale('다른 탭에서 환불');
      await holdFirstFreeSeat(page, eventId);
      const reservationId = new URL(page.url()).pathname.split('/').pop() ?? '';
      await page.getByRole('button', { name: '토스로 결제하기' }).click();
      await page.waitForURL(TOSS_CHECKOUT);
      await page.locator('#pay').click();
      await page.getByText('결제가 완료되었습니다').waitFor();
      await page.goto('/me/tickets');
      const order = page.locator(`li.order[data-reservation-id="${reservationId}"]`);
      await order.getByRole('button', { name: '환불 요청' }).waitFor({ timeout: UI_TIMEOUT });

      // The other tab refunds the order; this one still shows it paid.
      const token = await accessTokenOf(page);
      const [payment] = (
        await apiJson<{ items: { id: string }[] }>(`/api/payments?reservationId=${reservationId}`, token)
      ).items;
      const refunded = await fetch(`${WEB}/api/payments/${payment?.id}/cancel`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
        },
        body: JSON.stringify({ reason: 'Requested by the customer' }),
      });
      expect(refunded.ok).toBe(true);

      page.once('dialog', (dialog) => void dialog.accept());
      await order.getByRole('button', { name: '환불 요청' }).click();
      await expect
        .poll(() => order.getByTestId('ticket-status').allInnerTexts(), { timeout: UI_TIMEOUT })
        .toEqual(['무효 (환불됨)']);
      expect(await order.getByRole('alert').count()).toBe(0);
      expect(await order.getByText('입장 시 이 QR 코드를', { exact: false }).count()).toBe(0);
    }),
    120_000,
  );
});
