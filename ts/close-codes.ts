/**
 * Which close codes may appear in a close frame on the wire (RFC 6455 §7.4.1 and §7.4.2). Shared by
 * the reader (a peer sending another code is a protocol error) and the writer (refuses to send one).
 */

/**
 * True for 1000-1003, 1007-1014 and 3000-4999. 1004 is reserved; 1005, 1006 and 1015 are only
 * reported locally and must never be sent; 0-999, the rest of 1000-2999 and 5000+ are not usable.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}
