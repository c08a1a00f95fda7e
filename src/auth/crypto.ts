import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing of one cache entry. The tenant id is the associated data, so a ciphertext
 * copied under another tenant's key (a key-naming mistake, a shared Redis) fails authentication
 * instead of handing tenant A's token to tenant B.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

function associatedData(tenantId: string): Buffer {
  return Buffer.from(`navan-bridge/token/v${VERSION}/${tenantId}`, 'utf8');
}

/** Layout: version (1 byte) | iv (12) | tag (16) | ciphertext. A fresh random IV on every write. */
export function seal(key: Buffer, tenantId: string, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(tenantId));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Throws when the entry was tampered with, sealed for another tenant, or with another key. */
export function open(key: Buffer, tenantId: string, sealed: Buffer): Buffer {
  if (sealed.length < 1 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new Error('unknown token cache entry format');
  const iv = sealed.subarray(1, 1 + IV_BYTES);
  const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(associatedData(tenantId));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
}
