/**
 * The emulator's RSA key pair for `mobile_status/queryRV2`: loaded from a PEM (option
 * `rsaPrivateKeyPem` or `--rsa-private-key FILE`) or a fresh 2048-bit pair, with the
 * public half written to a file the client is pointed at (`JUHE_RSA_PUBLIC_KEY_FILE`).
 * A file written into a temporary directory of our own is removed on close.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EmulatorFileError, EmulatorOptionError } from './options.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export const RSA_MODULUS_BITS = 2048;
export const PUBLIC_KEY_FILE_NAME = 'juhe-rsa-public.pem';

export interface RsaKeys {
  privateKey: KeyObject;
  publicKeyPem: string;
  publicKeyFile: string;
  /** Remove what this module created (the temporary directory), nothing else. */
  cleanup(): Promise<void>;
}

export interface RsaKeySource {
  privateKeyPem?: string | undefined;
  privateKeyFile?: string | undefined;
  /** Where to write the public key; a temporary directory when unset. */
  publicKeyFile?: string | undefined;
}

export async function prepareRsaKeys(source: RsaKeySource): Promise<RsaKeys> {
  const privateKey = await loadOrGeneratePrivateKey(source);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();

  let publicKeyFile = source.publicKeyFile;
  let ownDirectory: string | undefined;
  if (publicKeyFile === undefined) {
    ownDirectory = await mkdtemp(join(tmpdir(), 'riskscreen-emulator-'));
    publicKeyFile = join(ownDirectory, PUBLIC_KEY_FILE_NAME);
  }
  try {
    await writeFile(publicKeyFile, publicKeyPem, { mode: 0o644 });
  } catch (err) {
    if (ownDirectory) await rm(ownDirectory, { recursive: true, force: true });
    throw new EmulatorFileError('--rsa-public-key-out', `cannot write ${publicKeyFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return {
    privateKey,
    publicKeyPem,
    publicKeyFile,
    cleanup: async () => {
      if (ownDirectory) await rm(ownDirectory, { recursive: true, force: true });
    },
  };
}

async function loadOrGeneratePrivateKey(source: RsaKeySource): Promise<KeyObject> {
  let pem = source.privateKeyPem;
  if (source.privateKeyFile !== undefined) {
    try {
      pem = await readFile(source.privateKeyFile, 'utf8');
    } catch (err) {
      throw new EmulatorFileError('--rsa-private-key', `cannot read ${source.privateKeyFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  if (pem === undefined) {
    const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: RSA_MODULUS_BITS });
    return privateKey;
  }
  // A key read from a file is a configuration problem (exit 4); a PEM given in code is a wrong option value.
  const problem = (message: string): EmulatorOptionError =>
    source.privateKeyFile === undefined
      ? new EmulatorOptionError('--rsa-private-key', message)
      : new EmulatorFileError('--rsa-private-key', `${source.privateKeyFile} ${message}`);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw problem(`is not a PEM private key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw problem(`holds a ${key.asymmetricKeyType ?? 'non-RSA'} key; an RSA key is needed`);
  return key;
}
