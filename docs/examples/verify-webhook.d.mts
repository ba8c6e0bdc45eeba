// Types for the dependency-free receiver example, so the TypeScript tests can import it.
export function verifyRiskscreenSignature(
  header: string | undefined,
  rawBody: Buffer | string,
  secret: string,
  options?: { toleranceSeconds?: number; now?: number },
): boolean;
