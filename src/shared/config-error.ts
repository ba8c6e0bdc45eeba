/**
 * A configuration problem. The message names the option as the user set it (the env
 * variable, the config-file key or the flag) and never contains a secret's value.
 */
export class ConfigError extends Error {
  readonly code = 'RISKSCREEN_CONFIG';
  readonly kind = 'config';
  constructor(
    /** The option as the user spells it, e.g. `JUHE_BASE_URL` or `juhe.baseUrl`. */
    readonly option: string,
    problem: string,
  ) {
    super(`${option}: ${problem}`);
    this.name = 'ConfigError';
  }
}
