import { canonicalId, voucherDto, voucherInput, voucherList, voucherUpdate } from '@tiketi/contracts';
import type { App, Auth } from '@tiketi/kit';
import { z } from 'zod';
import type { VoucherService } from '../domain/voucher.service.ts';

const eventParams = z.object({ eventId: canonicalId() });
const voucherParams = z.object({ id: canonicalId() });

/** Operators' voucher management, reached through the admin service (which checks the admin role). */
export function voucherRoutes(app: App, vouchers: VoucherService, auth: Auth) {
  app.get(
    '/internal/events/:eventId/vouchers',
    {
      onRequest: auth.internal,
      schema: { hide: true, params: eventParams, response: { 200: voucherList } },
    },
    async (req) => ({ items: await vouchers.list(req.params.eventId) }),
  );

  app.post(
    '/internal/events/:eventId/vouchers',
    {
      onRequest: auth.internal,
      schema: { hide: true, params: eventParams, body: voucherInput, response: { 201: voucherDto } },
    },
    async (req, reply) => reply.code(201).send(await vouchers.create(req.params.eventId, req.body)),
  );

  app.put(
    '/internal/vouchers/:id',
    {
      onRequest: auth.internal,
      schema: { hide: true, params: voucherParams, body: voucherUpdate, response: { 200: voucherDto } },
    },
    async (req) => vouchers.update(req.params.id, req.body),
  );
}
