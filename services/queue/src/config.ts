import {
  challengeConfigShape,
  env,
  internalTokenShape,
  queueTokenShape,
  serviceConfigShape,
  tokenAttestationShape,
} from '@tiketi/kit';
import type { z } from 'zod';

export const configShape = {
  ...serviceConfigShape,
  ...internalTokenShape,
  ...queueTokenShape,
  ...tokenAttestationShape,
  PORT: env.port(4005),
  /** Asked for an event's waiting-room settings when no catalogue event has told us yet. */
  EVENT_SERVICE_URL: env.serviceUrl('event'),
  /** Asked how many seats are left, which the line hears with its progress. */
  RESERVATION_SERVICE_URL: env.serviceUrl('reservation'),
  /** How often each instance asks, per room with people waiting. */
  SEATS_LEFT_REFRESH_MS: env.int(5_000),
  /** How long an admission lasts: the token's lifetime and, unless a purchase ends it sooner, the slot's. */
  ADMISSION_TTL_SECONDS: env.int(600),
  /** How often each instance runs the admission step (every instance runs it; the step is atomic). */
  ADMISSION_TICK_MS: env.int(250),
  /** Most admissions one step hands out, to keep each Redis script short. */
  ADMISSIONS_PER_TICK_MAX: env.int(500),
  /** A waiter with no open socket and no poll for this long loses the place. */
  ABANDON_GRACE_MS: env.int(60_000),
  /**
   * An admitted fan holding nothing who shows no sign of life (a status ask, a hold) for this long has left
   * without saying so: the slot goes to the next fan and the admission ends. The seat page asks every 30 s;
   * a tab in the background may be slowed to once a minute. 0 keeps a silent fan's slot until the
   * admission lapses.
   */
  ADMITTED_IDLE_MS: env.int(180_000),
  /** How often an instance tells Redis its connected waiters are still there; well below the grace. */
  PRESENCE_REFRESH_MS: env.int(10_000),
  /** Longest silence between two progress broadcasts of a waiting room that does not move. */
  PROGRESS_HEARTBEAT_MS: env.int(2_000),
  /**
   * Shortest gap between two progress broadcasts of a moving line. Each one is a message to every waiter,
   * so this bounds what a crowd costs; the fan admitted is told at once in any case.
   */
  PROGRESS_MIN_GAP_MS: env.int(1_000),
  /**
   * Most progress messages a second one room's broadcasts may send, whichever instances hold the sockets:
   * past this many waiters the gap (and the heartbeat) grows with the line (40,000 waiters: one broadcast
   * every 2 s), so that broadcasting to a huge crowd cannot take all of the instances' time. 0 turns it
   * off.
   */
  PROGRESS_PUSHES_PER_SECOND: env.int(20_000),
  ...challengeConfigShape,
  /**
   * Bot-defence difficulty (ALTCHA maxnumber; a solver tries half of it on average) for registering and
   * for joining an event whose operator set none. Low, so a phone solves it in a blink; raise it in
   * production or per event.
   */
  CHALLENGE_MAX_NUMBER: env.int(20_000),
  /** Joins per second of one event above which its challenges get harder (see docs/reliability.md). */
  CHALLENGE_SPIKE_JOINS_PER_SECOND: env.int(50),
  /** The most a spike multiplies an event's difficulty by. */
  CHALLENGE_SPIKE_MAX_FACTOR: env.int(10),
  /** Waiting-room sockets one user may hold at once, across every instance (a few tabs). */
  SOCKETS_PER_USER: env.int(5),
  /** Sockets one client address may hold at once, across every instance (fans behind one NAT share it). */
  SOCKETS_PER_ADDRESS: env.int(200),
  /** Messages a socket may send per second (in bursts of up to twice that)… */
  SOCKET_MESSAGES_PER_SECOND: env.int(5),
  /** …and how many refused in a row before it is disconnected. */
  SOCKET_MESSAGE_STRIKES: env.int(20),
  /**
   * How often each instance looks for sockets whose session ended (a sign-out) and closes them: one pass
   * reads all their sessions in a few Redis commands, so this bounds how long a signed-out fan still hears.
   */
  SOCKET_SESSION_CHECK_MS: env.int(2_000),
};

export type Config = z.output<z.ZodObject<typeof configShape>>;
