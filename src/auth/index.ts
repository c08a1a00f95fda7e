/** Layer 2: OAuth client-credentials tokens, cached encrypted, refreshed early, one refresh at a time. */
export { createTokenService } from './service.js';
export type { TokenService, TokenServiceOptions, TokenStatus } from './service.js';
export { authMiddleware, withBearer } from './middleware.js';
export { MemoryTokenStore, FileTokenStore, RedisTokenStore } from './stores.js';
export type { TokenStore } from './stores.js';
export { LocalKeyProvider, AwsKmsKeyProvider, FileWrappedKeyStore, loadMasterKey, parseMasterKey } from './keys.js';
export type { KeyProvider, WrappedKeyStore, KmsLike } from './keys.js';
