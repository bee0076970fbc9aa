import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { queueSuite } from './support.ts';

const UPGRADE =
  'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Sec-WebSocket-Version: 13\r\n';

/** Writes `head` on a fresh connection and reads until the server closes it. */
function exchange(url: string, head: string) {
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
    socket.write(head);
  });
}

function problemOf(answer: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
    type: /^content-type: *(.*)$/im.exec(head)?.[1]?.trim(),
    body: body ? JSON.parse(body) : undefined,
  };
}

describe('requests the waiting room’s socket cannot serve', () => {
  const { queue, gateway } = queueSuite('queue-handshake-refusals', {}, { gateway: true });

  const refused = [
    { query: 'EIO=4&transport=polling', detail: /WebSocket only/ },
    { query: 'EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA', detail: /sid/ },
    { query: 'EIO=4&transport=websocket', detail: /WebSocket upgrade/ },
  ];

  it('answers a request engine.io refuses with a problem, on the service and through the gateway', async () => {
    for (const base of [queue.url, gateway.url]) {
      for (const { query, detail } of refused) {
        const res = await fetch(`${base}/queue/?${query}`);
        expect(res.status, `${base} ${query}`).toBe(400);
        expect(res.headers.get('content-type'), `${base} ${query}`).toBe('application/problem+json');
        expect(await res.json()).toMatchObject({
          status: 400,
          code: 'SOCKET_HANDSHAKE_REFUSED',
          detail: expect.stringMatching(detail),
          instance: '/queue/',
        });
      }
      const posted = await fetch(`${base}/queue/?EIO=4&transport=websocket`, { method: 'POST', body: '' });
      expect(posted.status).toBe(400);
      expect(await posted.json()).toMatchObject({
        code: 'SOCKET_HANDSHAKE_REFUSED',
        detail: 'A waiting-room connection opens with GET.',
      });
    }
  });

  it('answers an upgrade it refuses with a problem, before any websocket is accepted', async () => {
    for (const { query, detail } of [
      { query: 'EIO=4&transport=polling', detail: /WebSocket only/ },
      { query: 'EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA', detail: /sid/ },
      // engine.io itself refuses an older protocol only after accepting the websocket.
      { query: 'EIO=3&transport=websocket', detail: /protocol 4/ },
      { query: 'transport=websocket', detail: /protocol 4/ },
    ]) {
      const answer = await exchange(queue.url, `GET /queue/?${query} HTTP/1.1\r\nHost: x\r\n${UPGRADE}\r\n`);
      expect(problemOf(answer), query).toMatchObject({
        status: 400,
        type: 'application/problem+json',
        body: { code: 'SOCKET_HANDSHAKE_REFUSED', detail: expect.stringMatching(detail) },
      });
    }
  });

  it('still opens a websocket of the current protocol', async () => {
    const ws = new WebSocket(`${queue.url.replace('http', 'ws')}/queue/?EIO=4&transport=websocket`);
    const open = await new Promise<string>((resolve, reject) => {
      ws.addEventListener('message', (m) => resolve(String(m.data)), { once: true });
      ws.addEventListener('error', () => reject(new Error('the websocket was refused')));
    });
    ws.close();
    // engine.io's open packet: 0 followed by the session.
    expect(open).toMatch(/^0\{"sid":/);
  });
});
