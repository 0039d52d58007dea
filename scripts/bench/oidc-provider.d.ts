/**
 * The few parts of oidc-provider 9 the bench peer uses (the package ships no type declarations).
 * See oidc-provider-target.ts.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface BenchClient {
    grantTypeAllowed(type: string): boolean;
  }
  interface BenchInteraction {
    uid: string;
    params: Record<string, unknown>;
  }
  interface BenchGrant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  export default class Provider {
    constructor(
      issuer: string,
      configuration: Record<string, unknown> & {
        issueRefreshToken?: (ctx: unknown, client: BenchClient, code: unknown) => Promise<boolean>;
        interactions?: { url: (ctx: unknown, interaction: BenchInteraction) => string };
        findAccount?: (
          ctx: unknown,
          sub: string,
        ) => Promise<{ accountId: string; claims: () => Promise<Record<string, unknown>> } | undefined>;
      },
    );
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<BenchInteraction>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    Grant: new (properties: { accountId: string; clientId: string }) => BenchGrant;
  }
}

/** The default in-memory adapter (lib/adapters/memory_adapter.js). */
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export default class MemoryAdapter {
    constructor(model: string, store?: unknown, clockTolerance?: number);
  }
}

/** The LRU map the default adapter stores into (lib/helpers/lru.js). */
declare module 'oidc-provider/lib/helpers/lru.js' {
  export default class LRU {
    constructor(options: { maxSize: number });
  }
}
