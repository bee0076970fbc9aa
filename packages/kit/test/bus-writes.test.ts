import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { onePerTurn } from '../src/bus.ts';

/** A stream that records each write it is asked to make, as the socket's system calls would be. */
function recordingStream(highWaterMark = 16_384) {
  const calls: string[][] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => (c.chunk as Buffer).toString()));
      done();
    },
  });
  onePerTurn(stream);
  return { stream, calls };
}

describe('broker socket writes', () => {
  it('sends what one turn of the event loop writes in one write, in order', async () => {
    const { stream, calls } = recordingStream();
    const frames = Array.from({ length: 100 }, (_, i) => `frame-${i}`);
    for (const frame of frames) stream.write(Buffer.from(frame));
    expect(calls).toEqual([]);
    await nextTurn();
    expect(calls).toEqual([frames]);
  });

  it('does not hold a turn’s frames back for the next turn', async () => {
    const { stream, calls } = recordingStream();
    stream.write(Buffer.from('first'));
    await nextTurn();
    expect(calls).toEqual([['first']]);
    stream.write(Buffer.from('second'));
    stream.write(Buffer.from('third'));
    await nextTurn();
    expect(calls).toEqual([['first'], ['second', 'third']]);
  });

  it('keeps the backpressure: past the high-water mark a write answers false, and drain follows', async () => {
    const { stream, calls } = recordingStream(64);
    const answers = Array.from({ length: 10 }, () => stream.write(Buffer.alloc(16, 'x')));
    expect(answers.slice(0, 3)).toEqual([true, true, true]);
    expect(answers.at(-1)).toBe(false);
    await new Promise((resolve) => stream.once('drain', resolve));
    expect(calls.flat()).toHaveLength(10);
  });
});
