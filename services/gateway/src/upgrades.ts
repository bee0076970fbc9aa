import { type IncomingHttpHeaders, type IncomingMessage, request, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { App } from '@tiketi/kit';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** How long one side of a joined pair may take to close after the other has. */
const CLOSING_GRACE_MS = 5000;

/** Thrown when the service does not answer an upgrade in time. */
function timedOut(ms: number) {
  return Object.assign(new Error(`The service did not answer the upgrade within ${ms} ms.`), {
    statusCode: 504,
  });
}

export type UpgradeTarget = { url: URL; headers: IncomingHttpHeaders; timeoutMs: number };

/**
 * Node hands a request that asks for an upgrade to the server's 'upgrade' listeners, never to Fastify.
 * Each one is routed through Fastify here all the same, so that the hooks that check every request (its
 * path, its token, the rate limits) answer it too; a route that takes upgrades then passes it on with
 * `pass`. An answer given through Fastify (a refusal, a 404, the service's own refusal) is the last on
 * that connection. The connections still open are closed with the app: a client reconnects elsewhere.
 */
export function routeUpgrades(app: App) {
  /** The client's connection of each upgrade request not passed on yet, and what it sent past the head. */
  const waiting = new WeakMap<IncomingMessage, { client: Duplex; head: Buffer }>();
  const open = new Set<Duplex>();
  const track = (socket: Duplex) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  };
  app.server.on('upgrade', (req: IncomingMessage, client: Duplex, head: Buffer) => {
    waiting.set(req, { client, head });
    track(client);
    // Node no longer listens for this connection's errors once it has handed it over.
    client.on('error', () => client.destroy());
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(client as Socket);
    res.on('finish', () => client.destroy());
    app.routing(req, res);
  });
  app.addHook('preClose', async () => {
    for (const socket of open) socket.destroy();
  });

  return {
    /** Whether this request asked for an upgrade (and is still to be passed on). */
    asked: (req: FastifyRequest) => waiting.has(req.raw),

    /**
     * Passes an upgrade request on to the service and lets the service decide. Its 101 goes back to the
     * client as it is, and the two connections are then joined byte for byte (resolves undefined). Any
     * other answer (a refusal with its problem+json, its Retry-After) is what it resolves with, for the
     * caller to send back through the reply, which ends the connection. Rejects, before anything is sent,
     * when the service cannot be reached or does not answer in time.
     */
    pass(req: FastifyRequest, reply: FastifyReply, to: UpgradeTarget): Promise<IncomingMessage | undefined> {
      const pending = waiting.get(req.raw);
      if (!pending) return Promise.reject(new Error('The request asked for no upgrade.'));
      waiting.delete(req.raw);
      const { client, head } = pending;
      const outgoing = request(to.url, {
        method: req.method,
        headers: to.headers,
        agent: false,
        timeout: to.timeoutMs,
      });
      // A client that leaves before the service answers takes the service's connection with it.
      const abandon = () => outgoing.destroy();
      client.once('close', abandon);
      return new Promise<IncomingMessage | undefined>((resolve, reject) => {
        outgoing.on('error', (error) => {
          client.off('close', abandon);
          reject(error);
        });
        outgoing.on('timeout', () => outgoing.destroy(timedOut(to.timeoutMs)));
        outgoing.on('response', (res) => {
          client.off('close', abandon);
          resolve(res);
        });
        outgoing.on('upgrade', (res, upstream: Socket, upstreamHead: Buffer) => {
          client.off('close', abandon);
          reply.hijack();
          track(upstream);
          // The websocket's own pings find a dead connection: the request's timeout no longer applies.
          upstream.setTimeout(0);
          upstream.setNoDelay(true);
          if (client.destroyed) {
            upstream.destroy();
            resolve(undefined);
            return;
          }
          const lines = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
          }
          client.write(`${lines.join('\r\n')}\r\n\r\n`);
          if (upstreamHead.length) client.write(upstreamHead);
          if (head.length) upstream.write(head);
          join(client, upstream);
          resolve(undefined);
        });
        outgoing.end();
      });
    },
  };
}

/**
 * Each side's bytes go on to the other. A side that fails takes the other down at once; one that closes
 * lets the other finish writing what it still has for its peer, then close (or be cut after a grace).
 */
function join(client: Duplex, upstream: Duplex) {
  const pair = [client, upstream] as const;
  for (const [side, other] of [pair, [upstream, client] as const]) {
    side.on('error', () => {
      side.destroy();
      other.destroy();
    });
    side.on('close', () => {
      if (other.destroyed) return;
      other.end();
      const cut = setTimeout(() => other.destroy(), CLOSING_GRACE_MS).unref();
      other.once('close', () => clearTimeout(cut));
    });
    side.pipe(other);
  }
}
