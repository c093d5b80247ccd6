// HeishaMon raw frames for tests, built byte by byte as ProtocolByteDecrypt.md lays them out.
import { FRAME_LENGTH } from '../../nodes/heishamon-decode/frame';

/** A frame (main block 0x10, extra 0x21): header, the given bytes (index → value), the rest 0, and the checksum. */
export function buildFrame(bytes: Record<number, number>, block = 0x10): Uint8Array {
  const frame = new Uint8Array(FRAME_LENGTH);
  frame.set([0x71, 0xc8, 0x01, block]);
  for (const [index, value] of Object.entries(bytes)) frame[Number(index)] = value;
  const sum = frame.subarray(0, FRAME_LENGTH - 1).reduce((total, b) => (total + b) & 0xff, 0);
  frame[FRAME_LENGTH - 1] = (0x100 - sum) & 0xff;
  return frame;
}
