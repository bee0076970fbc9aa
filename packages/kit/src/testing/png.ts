import { crc32, deflateSync } from 'node:zlib';

/**
 * A PNG file of these pixels, encoded here (tests that need an image of an exact size or content without
 * an image library). `rows` are the raw scanlines, each led by its filter byte (0: none).
 */
export function encodePng(options: {
  width: number;
  height: number;
  /** Bits per sample and PNG colour type: 8 and 2 for RGB, 1 and 0 for black and white. */
  bitDepth: number;
  colorType: number;
  rows: Buffer;
}): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const framed = Buffer.alloc(body.length + 8);
    framed.writeUInt32BE(data.length, 0);
    body.copy(framed, 4);
    framed.writeUInt32BE(crc32(body), body.length + 4);
    return framed;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(options.width, 0);
  header.writeUInt32BE(options.height, 4);
  header.set([options.bitDepth, options.colorType, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(options.rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
