/**
 * The gateway's storage port lives on the storage side now (src/storage/gateway-ports.ts,
 * docs/adr/0167): the core's `Storage` port no longer imports the gateway. This re-export keeps
 * imports written on branches in flight working; new code imports src/storage/gateway-ports.ts.
 */
export * from '../storage/gateway-ports.js';
