/**
 * The catalogue of every Juhe endpoint riskscreen uses, typed, from the five vendor
 * documents in `shared/juhe-docs/`. Everything else (the client, the emulator, the
 * engine) reads endpoints, forms and parameters from here instead of spelling paths.
 */
import type { Carrier } from '../phone/carrier.js';

/** The five APIs, by what they answer. */
export const API_IDS = ['status', 'tenure', 'tenureCmcc', 'resale', 'callDuration'] as const;
export type ApiId = (typeof API_IDS)[number];

/**
 * How the number travels in the `mobile` parameter.
 * - `plain`: the 11 digits.
 * - `aes`: AES/ECB/PKCS5 of the digits, key from the openid, base64.
 * - `rsa`: RSA-OAEP (SHA-1, MGF1-SHA1) of the digits under the account's public key, base64.
 * - `sha256` / `md5`: lowercase hex digest of the digits.
 * - `md5+aes` / `sha256+aes`: the lowercase hex digest, then AES as above.
 */
export const FORMS = ['plain', 'aes', 'rsa', 'sha256', 'md5', 'md5+aes', 'sha256+aes'] as const;
export type Form = (typeof FORMS)[number];

/** What a form needs from the account besides the key. */
export const FORM_NEEDS: Record<Form, 'nothing' | 'openid' | 'rsaPublicKey'> = {
  plain: 'nothing',
  sha256: 'nothing',
  md5: 'nothing',
  aes: 'openid',
  'md5+aes': 'openid',
  'sha256+aes': 'openid',
  rsa: 'rsaPublicKey',
};

/** Whether the digits can be recovered by whoever reads the request (the service, a proxy). */
export const FORM_SENDS_CLEAR_NUMBER: Record<Form, boolean> = {
  plain: true,
  aes: false,
  rsa: false,
  sha256: false,
  md5: false,
  'md5+aes': false,
  'sha256+aes': false,
};

export const ENDPOINT_IDS = [
  'mobile_status/query',
  'mobile_status/queryEncry',
  'mobile_status/queryRV2',
  'mobileOnline/query',
  'mobileOnline/queryEncry',
  'mobile_online_sha256_cmcc/query',
  'twoSellTel/query',
  'twoSellTel/queryEncry',
  'ctccCallduration/query',
] as const;
export type EndpointId = (typeof ENDPOINT_IDS)[number];

/** The two documented origins. `JUHE_BASE_URL` replaces both, keeping the paths. */
export const DOCUMENTED_ORIGINS = ['http://v.juhe.cn', 'http://apis.juhe.cn'] as const;
export type DocumentedOrigin = (typeof DOCUMENTED_ORIGINS)[number];

export interface EndpointSpec {
  readonly id: EndpointId;
  readonly api: ApiId;
  /** The origin the documents give. */
  readonly origin: DocumentedOrigin;
  /** The documented path, starting with `/`. */
  readonly path: string;
  /** The forms of `mobile` this endpoint accepts. */
  readonly forms: readonly Form[];
  /** Which vendor document describes it. */
  readonly doc: string;
}

export interface ApiSpec {
  readonly id: ApiId;
  readonly titleEn: string;
  readonly titleZh: string;
  /** Endpoints of this API, in the documents' order. */
  readonly endpoints: readonly EndpointId[];
  /** Whether a `date` (yyyymmdd) parameter is required. */
  readonly needsDate: boolean;
  /** The only carrier this API answers for, when it is carrier specific. */
  readonly onlyCarrier?: Carrier;
  /**
   * Forms to prefer, best first, when the batch does not choose: encrypted forms
   * first so a plain number does not cross the network when the credentials allow.
   */
  readonly preferredForms: readonly Form[];
  /** How the result's tenure code is encoded, for the tenure APIs. */
  readonly tenureEncoding?: TenureEncoding;
}

/** The two tenure encodings the documents use for the same buckets. */
export type TenureEncoding = 'mobileOnline' | 'cmccSha256';

export const ENDPOINTS: Readonly<Record<EndpointId, EndpointSpec>> = {
  'mobile_status/query': {
    id: 'mobile_status/query',
    api: 'status',
    origin: 'http://v.juhe.cn',
    path: '/mobile_status/query',
    forms: ['plain'],
    doc: '002_af51a1f4d997fe79.txt',
  },
  'mobile_status/queryEncry': {
    id: 'mobile_status/queryEncry',
    api: 'status',
    origin: 'http://v.juhe.cn',
    path: '/mobile_status/queryEncry',
    forms: ['aes'],
    doc: '002_af51a1f4d997fe79.txt',
  },
  'mobile_status/queryRV2': {
    id: 'mobile_status/queryRV2',
    api: 'status',
    origin: 'http://v.juhe.cn',
    path: '/mobile_status/queryRV2',
    forms: ['rsa'],
    doc: '002_af51a1f4d997fe79.txt',
  },
  'mobileOnline/query': {
    id: 'mobileOnline/query',
    api: 'tenure',
    origin: 'http://v.juhe.cn',
    path: '/mobileOnline/query',
    forms: ['plain'],
    doc: '001_a2aa1eac7215e48a.txt',
  },
  'mobileOnline/queryEncry': {
    id: 'mobileOnline/queryEncry',
    api: 'tenure',
    origin: 'http://v.juhe.cn',
    path: '/mobileOnline/queryEncry',
    forms: ['aes'],
    doc: '001_a2aa1eac7215e48a.txt',
  },
  'mobile_online_sha256_cmcc/query': {
    id: 'mobile_online_sha256_cmcc/query',
    api: 'tenureCmcc',
    origin: 'http://apis.juhe.cn',
    path: '/mobile_online_sha256_cmcc/query',
    forms: ['sha256'],
    doc: '000_1d144d67304fe6cc.txt',
  },
  'twoSellTel/query': {
    id: 'twoSellTel/query',
    api: 'resale',
    origin: 'http://apis.juhe.cn',
    path: '/twoSellTel/query',
    forms: ['plain'],
    doc: '003_eab085f79b1309ce.txt',
  },
  'twoSellTel/queryEncry': {
    id: 'twoSellTel/queryEncry',
    api: 'resale',
    origin: 'http://apis.juhe.cn',
    path: '/twoSellTel/queryEncry',
    forms: ['md5', 'sha256', 'aes', 'md5+aes', 'sha256+aes'],
    doc: '003_eab085f79b1309ce.txt',
  },
  'ctccCallduration/query': {
    id: 'ctccCallduration/query',
    api: 'callDuration',
    origin: 'http://apis.juhe.cn',
    path: '/ctccCallduration/query',
    forms: ['plain'],
    doc: '004_b35f171bb2bbec0b.txt',
  },
};

export const APIS: Readonly<Record<ApiId, ApiSpec>> = {
  status: {
    id: 'status',
    titleEn: 'line status',
    titleZh: '手机在网状态',
    endpoints: ['mobile_status/query', 'mobile_status/queryEncry', 'mobile_status/queryRV2'],
    needsDate: false,
    // RSA first: only the holder of Juhe's private key can read it, and it needs no shared secret.
    preferredForms: ['rsa', 'aes', 'plain'],
  },
  tenure: {
    id: 'tenure',
    titleEn: 'tenure on the network',
    titleZh: '手机在网时长',
    endpoints: ['mobileOnline/query', 'mobileOnline/queryEncry'],
    needsDate: false,
    preferredForms: ['aes', 'plain'],
    tenureEncoding: 'mobileOnline',
  },
  tenureCmcc: {
    id: 'tenureCmcc',
    titleEn: 'tenure, China Mobile, by sha256',
    titleZh: '移动在网时长 sha256 版',
    endpoints: ['mobile_online_sha256_cmcc/query'],
    needsDate: false,
    onlyCarrier: 'cmcc',
    preferredForms: ['sha256'],
    tenureEncoding: 'cmccSha256',
  },
  resale: {
    id: 'resale',
    titleEn: 'number recycled after a date (二次放号)',
    titleZh: '全网二次放号查询',
    endpoints: ['twoSellTel/query', 'twoSellTel/queryEncry'],
    needsDate: true,
    // A bare md5/sha256 of an 11-digit number can be reversed by enumeration in
    // minutes; wrapping it in AES keeps it from anyone without the openid.
    preferredForms: ['sha256+aes', 'md5+aes', 'aes', 'sha256', 'md5', 'plain'],
  },
  callDuration: {
    id: 'callDuration',
    titleEn: 'China Telecom call minutes last month',
    titleZh: '电信月通话时长',
    endpoints: ['ctccCallduration/query'],
    needsDate: false,
    onlyCarrier: 'ctcc',
    preferredForms: ['plain'],
  },
};

/** The endpoint of `api` that accepts `form`, or undefined when the API has no such form. */
export function endpointFor(api: ApiId, form: Form): EndpointSpec | undefined {
  for (const id of APIS[api].endpoints) {
    const endpoint = ENDPOINTS[id];
    if (endpoint.forms.includes(form)) return endpoint;
  }
  return undefined;
}

/** Every form an API accepts over all its endpoints. */
export function formsOf(api: ApiId): Form[] {
  return APIS[api].endpoints.flatMap((id) => [...ENDPOINTS[id].forms]);
}

export function isApiId(value: string): value is ApiId {
  return (API_IDS as readonly string[]).includes(value);
}

export function isForm(value: string): value is Form {
  return (FORMS as readonly string[]).includes(value);
}

export function isEndpointId(value: string): value is EndpointId {
  return (ENDPOINT_IDS as readonly string[]).includes(value);
}

/** The endpoint serving a documented path (`/mobile_status/query`), for servers. */
export function endpointByPath(path: string): EndpointSpec | undefined {
  const id = path.replace(/^\/+/, '').replace(/\/+$/, '');
  return isEndpointId(id) ? ENDPOINTS[id] : undefined;
}
