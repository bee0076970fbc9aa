import { afterAll, beforeAll, describe } from 'vitest';
import { faultSuite } from './fault/purchase-faults.ts';
import { fuzzSuite } from './fuzz/gateway-fuzz.ts';
import { accountsSuite } from './security/accounts.ts';
import { secretsInLogsSuite, securitySuite } from './security/attacks.ts';
import { edgeSuite } from './security/edge.ts';
import { inputSuite } from './security/input.ts';
import { moneySuite } from './security/money.ts';
import { secretsSuite } from './security/secrets.ts';
import { closeProof, openProof } from './support/proof.ts';

/**
 * Tiketi under attack, bad input and faults, as real processes (docs/reliability.md): the security suites
 * first, then the fuzzer, then the faults with the invariants checked after them, and last the scan of
 * everything every process logged meanwhile.
 */
describe('the platform under attack, bad input and faults', { timeout: 90_000 }, () => {
  beforeAll(openProof, 240_000);
  afterAll(closeProof, 60_000);

  securitySuite();
  accountsSuite();
  secretsSuite();
  inputSuite();
  moneySuite();
  edgeSuite();
  fuzzSuite();
  faultSuite();
  secretsInLogsSuite();
});
