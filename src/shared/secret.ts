import { inspect } from 'node:util';

/**
 * A secret value (client secret, access token, key) that cannot leak by accident: it prints,
 * serialises and inspects as a mask. Only `reveal()` gives the value, and a grep for `reveal(`
 * finds every place that handles a secret in clear.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  get length(): number {
    return this.#value.length;
  }
  toString(): string {
    return '***';
  }
  toJSON(): string {
    return '***';
  }
  [inspect.custom](): string {
    return 'Secret(***)';
  }
}

/** Masks a secret for display: says whether it is set, and nothing of its value. */
export function maskSecret(value: string | Secret | undefined): string {
  return value === undefined || value.length === 0 ? '(unset)' : '****';
}
