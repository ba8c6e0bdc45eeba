/** The API layer's public surface. It knows nothing of queues, files or CSV. */
export * from './catalogue.js';
export * from './ciphers.js';
export * from './client.js';
export * from './config.js';
export * from './decode.js';
export * from './error-policy.js';
export * from './errors.js';
export * from './model.js';
