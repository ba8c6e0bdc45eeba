/**
 * Which APIs a batch asks about each number. A profile is data: a list of APIs, each
 * asked only where it can answer (the resale check needs a date; the China Mobile
 * sha256 tenure API only China Mobile numbers; call minutes only China Telecom ones).
 */
import { APIS, isApiId, type ApiId } from '../juhe/catalogue.js';
import type { Carrier } from '../phone/carrier.js';

export interface Profile {
  name: string;
  description: string;
  apis: readonly ApiId[];
}

export const PROFILES: Readonly<Record<string, Profile>> = {
  standard: {
    name: 'standard',
    description: 'line status, tenure, resale (rows with a date), call minutes (China Telecom)',
    apis: ['status', 'tenure', 'resale', 'callDuration'],
  },
  private: {
    name: 'private',
    description: 'like standard, but China Mobile tenure by sha256 (no number in clear)',
    apis: ['status', 'tenureCmcc', 'tenure', 'resale', 'callDuration'],
  },
  basic: {
    name: 'basic',
    description: 'line status and tenure only',
    apis: ['status', 'tenure'],
  },
  status: { name: 'status', description: 'line status only', apis: ['status'] },
};

export const DEFAULT_PROFILE = 'standard';

/** A profile by name, or a comma list of APIs (`status,resale`). */
export function resolveProfile(spec: string | undefined): Profile {
  const text = (spec ?? DEFAULT_PROFILE).trim();
  const named = PROFILES[text];
  if (named) return named;
  const apis = text.split(',').map((part) => part.trim()).filter(Boolean);
  const unknown = apis.filter((api) => !isApiId(api));
  if (apis.length === 0 || unknown.length > 0) {
    throw new ProfileError(
      `unknown profile or API ${JSON.stringify(unknown[0] ?? text)}; profiles are ${Object.keys(PROFILES).join(', ')}, or list APIs: ${Object.keys(APIS).join(', ')}`,
    );
  }
  return { name: apis.join(','), description: `the APIs ${apis.join(', ')}`, apis: [...new Set(apis)] as ApiId[] };
}

export class ProfileError extends Error {
  readonly code = 'RISKSCREEN_PROFILE';
  readonly kind = 'usage';
  constructor(message: string) {
    super(`--profile: ${message}`);
    this.name = 'ProfileError';
  }
}

export interface NumberFacts {
  carrier: Carrier | null;
  date: string | null;
}

/**
 * The APIs to ask about one number. When a profile has both tenure APIs, China Mobile
 * numbers go to the sha256 one and every other number to mobileOnline.
 */
export function apisFor(profile: Profile, facts: NumberFacts): ApiId[] {
  const both = profile.apis.includes('tenureCmcc') && profile.apis.includes('tenure');
  return profile.apis.filter((api) => {
    const only = APIS[api].onlyCarrier;
    if (only && facts.carrier !== only) return false;
    if (APIS[api].needsDate && !facts.date) return false;
    if (api === 'tenure' && both && facts.carrier === 'cmcc') return false;
    return true;
  });
}
