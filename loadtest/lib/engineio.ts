/**
 * Engine.IO v4 / Socket.IO v5 client library for the load tests: codecs, response classifier and
 * the transport-agnostic session state machine. Pure TypeScript, no k6 and no Node imports, so
 * the k6 scripts (sync k6/http, k6/websockets) and Node (node-driver.ts, vitest) share it.
 */
export * from './engineio-codec.ts';
export * from './socketio-codec.ts';
export * from './engineio-classify.ts';
export * from './engineio-types.ts';
export * from './engineio-session.ts';
