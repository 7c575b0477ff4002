/**
 * Adds an `irot` (rotation) property to the primary item of a HEIF file, as iPhones write them:
 * pixels stored in sensor orientation, the display rotation in `irot`. heif-enc cannot write one,
 * so the rotated HEIC fixture is heif-enc's output patched with this. Handles the box layout
 * heif-enc produces (meta before mdat, iloc construction method 0).
 */

interface Box {
  type: string;
  start: number;
  size: number;
  headerSize: number;
}

function boxes(buffer: Buffer, start: number, end: number): Box[] {
  const found: Box[] = [];
  for (let at = start; at + 8 <= end; ) {
    const size = buffer.readUInt32BE(at);
    if (size < 8) throw new Error("unsupported box size");
    found.push({ type: buffer.toString("latin1", at + 4, at + 8), start: at, size, headerSize: 8 });
    at += size;
  }
  return found;
}

function child(buffer: Buffer, parent: Box, type: string, fullBox = false): Box {
  const inner = boxes(buffer, parent.start + parent.headerSize + (fullBox ? 4 : 0), parent.start + parent.size);
  const box = inner.find((b) => b.type === type);
  if (!box) throw new Error(`no ${type} box`);
  return box;
}

function readUInt(buffer: Buffer, at: number, bytes: number): number {
  return bytes === 0 ? 0 : bytes === 2 ? buffer.readUInt16BE(at) : bytes === 4 ? buffer.readUInt32BE(at) : Number(buffer.readBigUInt64BE(at));
}

function writeUInt(buffer: Buffer, at: number, bytes: number, value: number) {
  if (bytes === 2) buffer.writeUInt16BE(value, at);
  else if (bytes === 4) buffer.writeUInt32BE(value, at);
  else if (bytes === 8) buffer.writeBigUInt64BE(BigInt(value), at);
}

/** `quarterTurns`: anticlockwise rotation in 90° steps (HEIF irot semantics). */
export function addIrot(input: Buffer, quarterTurns: 1 | 2 | 3): Buffer {
  const top = boxes(input, 0, input.length);
  const meta = top.find((b) => b.type === "meta")!;
  const mdat = top.find((b) => b.type === "mdat")!;
  if (!meta || !mdat || mdat.start < meta.start) throw new Error("expected meta before mdat");
  const pitm = child(input, meta, "pitm", true);
  const primary = input.readUInt8(pitm.start + 8) === 0 ? input.readUInt16BE(pitm.start + 12) : input.readUInt32BE(pitm.start + 12);
  const iprp = child(input, meta, "iprp", true);
  const ipco = child(input, iprp, "ipco");
  const ipma = child(input, iprp, "ipma");
  const propertyIndex = boxes(input, ipco.start + 8, ipco.start + ipco.size).length + 1;

  // New ipma with one more association for the primary item.
  const version = input.readUInt8(ipma.start + 8);
  const wideIndex = (input.readUInt32BE(ipma.start + 8) & 1) === 1;
  const parts: Buffer[] = [input.subarray(ipma.start, ipma.start + 16)];
  let at = ipma.start + 16;
  const entries = input.readUInt32BE(ipma.start + 12);
  for (let e = 0; e < entries; e++) {
    const idBytes = version < 1 ? 2 : 4;
    const itemId = readUInt(input, at, idBytes);
    const count = input.readUInt8(at + idBytes);
    const associations = input.subarray(at + idBytes + 1, at + idBytes + 1 + count * (wideIndex ? 2 : 1));
    const header = Buffer.from(input.subarray(at, at + idBytes + 1));
    let extra = Buffer.alloc(0);
    if (itemId === primary) {
      header.writeUInt8(count + 1, idBytes);
      extra = wideIndex ? Buffer.from([0x80 | (propertyIndex >> 8), propertyIndex & 0xff]) : Buffer.from([0x80 | propertyIndex]);
    }
    parts.push(header, associations, extra);
    at += idBytes + 1 + associations.length;
  }
  const newIpma = Buffer.concat(parts);
  newIpma.writeUInt32BE(newIpma.length, 0);
  const irot = Buffer.from([0, 0, 0, 9, ...Buffer.from("irot"), quarterTurns & 3]);
  const growth = irot.length + (newIpma.length - ipma.size);

  const output = Buffer.concat([
    input.subarray(0, ipco.start + ipco.size),
    irot,
    input.subarray(ipco.start + ipco.size, ipma.start),
    newIpma,
    input.subarray(ipma.start + ipma.size),
  ]);
  const grow = (box: Box, by: number) => output.writeUInt32BE(box.size + by, box.start);
  grow(meta, growth);
  grow(iprp, growth);
  grow(ipco, irot.length);

  // mdat moved by `growth` bytes: shift iloc's file offsets (iloc precedes iprp in heif-enc's layout).
  const iloc = child(output, { ...meta, size: meta.size + growth }, "iloc", true);
  if (iloc.start > ipco.start) throw new Error("expected iloc before iprp");
  const ilocVersion = output.readUInt8(iloc.start + 8);
  const sizes = output.readUInt16BE(iloc.start + 12);
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 15;
  const baseOffsetSize = (sizes >> 4) & 15;
  const indexSize = ilocVersion >= 1 ? sizes & 15 : 0;
  let p = iloc.start + 14;
  const itemCount = ilocVersion < 2 ? output.readUInt16BE(p) : output.readUInt32BE(p);
  p += ilocVersion < 2 ? 2 : 4;
  for (let i = 0; i < itemCount; i++) {
    p += ilocVersion < 2 ? 2 : 4; // item id
    const method = ilocVersion >= 1 ? output.readUInt16BE(p) & 15 : 0;
    if (ilocVersion >= 1) p += 2;
    p += 2; // data reference index
    const base = readUInt(output, p, baseOffsetSize);
    if (method === 0 && baseOffsetSize > 0 && base > 0) writeUInt(output, p, baseOffsetSize, base + growth);
    p += baseOffsetSize;
    const extents = output.readUInt16BE(p);
    p += 2;
    for (let x = 0; x < extents; x++) {
      p += indexSize;
      const offset = readUInt(output, p, offsetSize);
      if (method === 0 && !(baseOffsetSize > 0 && base > 0)) writeUInt(output, p, offsetSize, offset + growth);
      p += offsetSize + lengthSize;
    }
  }
  return output;
}
