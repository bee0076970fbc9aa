export type { CaughtAttachment, CaughtMessage, MessageFilter } from './inbox.ts';
export { type MailSandbox, type MailSandboxOptions, startMailSandbox } from './sandbox.ts';
