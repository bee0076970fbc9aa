import { randomInt } from 'node:crypto';
import { TICKET_CODE } from '@tiketi/contracts';

/** A fresh random ticket code (about 50 bits); the database keeps it unique within the event. */
export function newTicketCode(): string {
  let code = '';
  for (let i = 0; i < TICKET_CODE.length; i++)
    code += TICKET_CODE.alphabet[randomInt(TICKET_CODE.alphabet.length)];
  return code;
}
