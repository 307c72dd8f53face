/**
 * Which close codes may appear in a close frame (RFC 6455 §7.4): the ones defined by the RFC and
 * registered with IANA (1000-1003, 1007-1014), and the ranges for libraries and applications
 * (3000-4999). 1004 is reserved, 1005 / 1006 / 1015 are only reported locally and never sent.
 * The reader rejects anything else (1002); the writer refuses to send it.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}
