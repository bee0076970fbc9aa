export {
  type Fault,
  startTossSandbox,
  type TossOperation,
  type TossSandbox,
  type TossSandboxOptions,
} from './sandbox.ts';
export type { CheckoutOutcome } from './store.ts';
export type { WebhookAttempt } from './webhooks.ts';
