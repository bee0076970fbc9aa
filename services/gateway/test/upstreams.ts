import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServiceName } from '@tiketi/contracts';
import { type App, createServer } from '@tiketi/kit';
import { testLogger } from '@tiketi/kit/testing';

export type Seen = { method: string; url: string; headers: Record<string, unknown>; body: unknown };

/**
 * A small real service (the kit's server) standing in for one upstream: it answers every path with what
 * it received, so a test sees exactly what the gateway forwarded, and records each request.
 */
export async function startEchoService(name: ServiceName) {
  const { app } = await createServer({ name, logger: testLogger() });
  const seen: Seen[] = [];
  app.all('/*', async (req) => {
    const entry = { method: req.method, url: req.url, headers: req.headers, body: req.body ?? null };
    seen.push(entry);
    return { service: name, ...entry };
  });
  const sockets = attachWebSocketEcho(app, name);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    seen,
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await app.close();
    },
  };
}

export type EchoService = Awaited<ReturnType<typeof startEchoService>>;

/** Accepts a WebSocket upgrade on `/queue` and greets with one text frame naming the service. */
function attachWebSocketEcho(app: App, name: string) {
  const sockets = new Set<Duplex>();
  app.server.on('upgrade', (req, socket) => {
    if (!req.url?.startsWith('/queue')) return socket.destroy();
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    const text = Buffer.from(`hello from ${name}`);
    socket.write(Buffer.concat([Buffer.from([0x81, text.length]), text]));
  });
  return sockets;
}
