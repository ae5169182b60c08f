import { GoldcrestError } from '@goldcrest/core-ir';

/** A bad command line (exit code 2), as opposed to a failure while doing the work (exit code 1). */
export class UsageError extends GoldcrestError {
  constructor(message: string) {
    super('E_ARGUMENT', message);
    this.name = 'UsageError';
  }
}

/** One line (plus the stack with --verbose) for any error: typed ones show their stable code. */
export function formatError(e: unknown, verbose: boolean): string {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const head = err instanceof GoldcrestError ? `error [${err.code}]: ${err.message}`
    : typeof code === 'string' && /^E[A-Z_]+$/.test(code) ? `error [${code}]: ${err.message}` // Node fs errors (ENOENT...)
    : `error: ${err.message || err.name}`;
  if (!verbose) return head;
  let out = head + (err.stack ? `\n${err.stack}` : '');
  if (err.cause !== undefined) out += `\ncaused by: ${err.cause instanceof Error ? err.cause.stack ?? err.cause.message : String(err.cause)}`;
  return out;
}

export const exitCodeOf = (e: unknown): number => (e instanceof UsageError ? 2 : 1);
