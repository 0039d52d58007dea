/**
 * Storage ports for the web consoles (developer console, seller center, operator admin).
 * Kept apart from the protocol core's ports: the core never reads these.
 */
import type { AppStatus, GrantRecord } from './ports.js';

/** Who a web account belongs to. Sellers have their own table and sessions. */
export type WebRealm = 'developer' | 'operator';

export interface WebAccount {
  accountId: number;
  realm: WebRealm;
  username: string;
  passwordHash: string;
  createdAt: number;
  /** Operator TOTP (docs/adr/0161): the secret sealed with the server key, null until enrolment starts. */
  totpSecret?: string | null;
  /** When enrolment was confirmed with a code; null while pending. */
  totpEnabledAt?: number | null;
  /** The last time step a code signed in with (RFC 6238 §5.2: each step once). */
  totpLastStep?: number | null;
}

export interface WebSession {
  idHash: string;
  realm: WebRealm;
  accountId: number;
  createdAt: number;
  expiresAt: number;
}

/** What the console shows and edits about an app, beyond what the core needs. */
export interface AppDetails {
  appKey: string;
  name: string;
  description: string | null;
  logoUrl: string | null;
  /** Where authorization changes are POSTed: kept by the gateway (`gateway_apps`), filled in by `loadAppDetails`. */
  webhookUrl: string | null;
  callbackUrls: string[];
  scopes: string[];
  status: AppStatus;
  developerId: number | null;
  createdAt: number;
  /** End of the overlap window of the previous secret, when one is still accepted. */
  previousSecretExpiresAt: number | null;
  /**
   * The app's own client-side flow setting (`gateway_apps`, docs/adr/0116); null: the profile's. Filled in by
   * `loadAppDetails`.
   */
  fragmentRedirect?: 'exact-callback' | 'redirect-rule' | null;
  /** When the app last received a token through the client-side flow. Filled in by `loadAppDetails`. */
  clientSideFlowAt?: number | null;
  /** Sellers need an active subscription (docs/adr/0140); where they buy one. */
  requireSubscription?: boolean;
  purchaseUrl?: string | null;
  /** Why an operator returned the app to its developer, and when (docs/adr/0162); null once approved. */
  reviewNote?: string | null;
  reviewNoteAt?: number | null;
}

/** A seller's authorization as the seller center and the admin list it. */
export interface AuthorizationView {
  grant: GrantRecord;
  appName: string;
  appLogoUrl: string | null;
  /** The names of the grant's stores, joined with ", ". */
  storeName: string;
  /** The grant's stores in order (a grant covers one or more, docs/adr/0135). */
  stores: Array<{ storeId: number; name: string }>;
  /** When a token was last issued under the grant (code exchange or refresh). */
  lastUsedAt: number | null;
  /**
   * For an app that requires a subscription (docs/adr/0140): when the authorization ends (the end of
   * the seller's active subscription), or null when none is active. Absent for other apps.
   */
  subscriptionEndsAt?: number | null;
}

/** An audit log line as the operator admin shows it (the log itself is `Storage.audit`, docs/adr/0041). */
export interface AuditEntry {
  at: number;
  actor: string | null;
  event: string;
  appKey: string | null;
  sellerId: number | null;
  subject: string | null;
  detail: string | null;
}

export interface ConsoleStorage {
  /** Throws `DuplicateError` when the username is taken in the realm. */
  createAccount(input: {
    realm: WebRealm;
    username: string;
    passwordHash: string;
    createdAt: number;
  }): Promise<WebAccount>;
  findAccount(realm: WebRealm, username: string): Promise<WebAccount | undefined>;
  account(accountId: number): Promise<WebAccount | undefined>;
  setAccountPassword(accountId: number, passwordHash: string): Promise<void>;
  /** Set (or clear, with null) an account's sealed TOTP secret and when it was enabled; forgets the last step. */
  setTotp(accountId: number, sealedSecret: string | null, enabledAt: number | null): Promise<void>;
  /** Record a used TOTP step only if it is later than the last one (atomic); false: already used. */
  acceptTotpStep(accountId: number, step: number): Promise<boolean>;
  /** Replace an account's recovery codes (SHA-256 hashes). */
  replaceRecoveryCodes(accountId: number, codeHashes: string[], now: number): Promise<void>;
  /** Use one recovery code (atomic, single use); false when unknown or used. */
  useRecoveryCode(accountId: number, codeHash: string, now: number): Promise<boolean>;
  /** Unused recovery codes of an account. */
  recoveryCodesLeft(accountId: number): Promise<number>;
  /**
   * Reset an operator's authenticator in one transaction (docs/adr/0177): the TOTP secret, its enrolment and last
   * step cleared, the recovery codes deleted, the account's sessions ended. The next sign-in enrols again.
   */
  resetTotp(accountId: number): Promise<void>;

  createSession(session: WebSession): Promise<void>;
  findSession(idHash: string, realm: WebRealm, now: number): Promise<WebSession | undefined>;
  deleteSession(idHash: string): Promise<void>;
  /** End every seller login session of a seller (password change). */
  deleteSellerSessions(sellerId: number): Promise<void>;

  appDetails(appKey: string): Promise<AppDetails | undefined>;
  appsOfDeveloper(developerId: number): Promise<AppDetails[]>;
  /** Set (or clear, with null) the operator's review note of an app. */
  setReviewNote(appKey: string, note: string | null, at: number | null): Promise<void>;
  /** Usernames of web accounts by id (the admin's app list names developers in one read). */
  accountNames(accountIds: number[]): Promise<Map<number, string>>;
  /** Every app, submitted ones first, for the operator. */
  allApps(): Promise<AppDetails[]>;
  /** How many sellers have a live authorization of the app. */
  liveGrantCount(appKey: string): Promise<number>;

  /** Live authorizations of a seller, newest first. */
  authorizationsOfSeller(sellerId: number): Promise<AuthorizationView[]>;
  /** Revoke every live grant of a seller; returns the revoked grants. */
  revokeAllOfSeller(sellerId: number, now: number, reason: string): Promise<GrantRecord[]>;

  addSandboxSeller(sellerId: number, developerId: number): Promise<void>;
  /** The developer who owns this sandbox seller, if it is one. */
  sandboxOwner(sellerId: number): Promise<number | undefined>;
  sandboxSellersOf(developerId: number): Promise<Array<{ sellerId: number; username: string }>>;

  /** The newest audit log lines first. */
  recentAudit(limit: number): Promise<AuditEntry[]>;
}
