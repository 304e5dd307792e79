export * from './errors.js';
export * from './common.js';
export * from './chat.js';
export * from './completions.js';
export * from './models.js';
export * from './validate.js';
export * from './rpc.js';
export * from './port-stream.js';
