import type { TossPayment } from '@tiketi/toss';
import type { StoredPayment } from './store.ts';

const escapeHtml = (value: unknown) =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

const won = (n: number) => `${n.toLocaleString('ko-KR')}원`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="ko"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;background:#f2f4f6;margin:0;padding:2rem;color:#191f28}
main{max-width:28rem;margin:auto;background:#fff;border-radius:16px;padding:2rem;box-shadow:0 2px 12px #0001}
h1{font-size:1.2rem;margin-top:0} .amount{font-size:2rem;font-weight:700;margin:.5rem 0 1.5rem}
button{display:block;width:100%;padding:.9rem;margin:.5rem 0;border:0;border-radius:10px;font-size:1rem;cursor:pointer}
#pay{background:#3182f6;color:#fff} #reject{background:#fde8e8;color:#b42318} #cancel{background:#e5e8eb}
.note{color:#6b7684;font-size:.85rem} table{width:100%;border-collapse:collapse;font-size:.85rem}
td,th{padding:.3rem;border-bottom:1px solid #e5e8eb;text-align:left}
</style></head><body><main>${body}</main></body></html>`;
}

/** The page the customer is sent to: pay, pay with a card that will be declined, or give up. */
export function checkoutPage(stored: StoredPayment): string {
  const p = stored.payment;
  if (p.status !== 'READY') {
    return layout(
      '결제 불가',
      `<h1>이 결제는 진행할 수 없습니다</h1><p>Payment ${escapeHtml(p.orderId)} is ${escapeHtml(p.status)}.</p>`,
    );
  }
  return layout(
    `${p.orderName} 결제`,
    `<h1>토스페이먼츠 샌드박스 결제 · Toss sandbox checkout</h1>
<p>${escapeHtml(p.orderName)}<br><span class="note">주문번호 ${escapeHtml(p.orderId)}</span></p>
<p class="amount" id="amount">${won(p.totalAmount)}</p>
<form method="post" action="/checkout/${escapeHtml(p.paymentKey)}">
<button id="pay" name="action" value="pay">결제하기 · Pay</button>
<button id="reject" name="action" value="reject">한도초과 카드로 결제 · Pay with a declined card</button>
<button id="cancel" name="action" value="cancel">결제 취소 · Cancel</button>
</form>
<p class="note">No money moves: this is the local Toss Payments sandbox.</p>`,
  );
}

export function receiptPage(p: TossPayment): string {
  return layout(
    '영수증',
    `<h1>영수증 · Receipt</h1><p>${escapeHtml(p.orderName)}</p><p class="amount">${won(p.totalAmount)}</p>
<p>상태 ${escapeHtml(p.status)} · 잔액 ${won(p.balanceAmount)}</p>`,
  );
}

export function indexPage(payments: TossPayment[]): string {
  const rows = payments
    .slice(0, 100)
    .map(
      (p) =>
        `<tr><td>${escapeHtml(p.orderId)}</td><td>${escapeHtml(p.orderName)}</td><td>${won(p.totalAmount)}</td><td>${escapeHtml(p.status)}</td></tr>`,
    )
    .join('');
  return layout(
    'Toss sandbox',
    `<h1>Toss Payments sandbox</h1><p class="note">Speaks /v1/payments like api.tosspayments.com.</p>
<table><thead><tr><th>orderId</th><th>order</th><th>amount</th><th>status</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}
