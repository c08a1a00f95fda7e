import { z } from 'zod';

/** Layer 2 settings: token cache and refresh. Owned by src/auth. */
export const authSection = z
  .object({
    /** memory | file | redis; default: redis when REDIS_URL is set, file otherwise. */
    tokenStore: z.enum(['memory', 'file', 'redis']).optional(),
    /** Refresh this long before expiry (the reference says 5 minutes). */
    refreshLeadSeconds: z.number().int().min(0).max(3600).default(300),
    /** Random extra lead, up to this many seconds, so tenants do not refresh in the same second. */
    refreshJitterSeconds: z.number().int().min(0).max(600).default(30),
    /** Assumed token life when expires_in is missing or absurd. */
    fallbackTokenLifeSeconds: z.number().int().min(60).default(3300),
    /** Master key source: hex/base64 in NAVAN_BRIDGE_MASTER_KEY, or this key file. */
    masterKeyFile: z.string().optional(),
    keyProvider: z.enum(['local', 'aws-kms']).default('local'),
    kmsKeyId: z.string().optional(),
    kmsRegion: z.string().optional(),
  })
  .prefault({});
export type AuthSection = z.infer<typeof authSection>;
