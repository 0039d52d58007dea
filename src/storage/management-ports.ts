/**
 * Storage ports of the management API and its CLI twins (issue 14, docs/adr/0131): operator API
 * tokens, sellers as an operator pages through them, grants and the audit log with filters.
 * Apps are the app module's (src/apps/, `storage.apps`). Times are epoch milliseconds.
 */
import type { AuditEvent, AuditRecord, GrantRecord, StoreRecord } from './ports.js';

export interface OperatorTokenRecord {
  tokenId: number;
  name: string;
  /** A read-only token may only GET. */
  readOnly: boolean;
  createdAt: number;
  /** Who made it (`cli`, `operator:<username>`). */
  createdBy: string | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** A seller as the operator sees it: no password hash. */
export interface SellerSummary {
  sellerId: number;
  username: string;
  createdAt: number;
  disabledAt: number | null;
  stores: StoreRecord[];
}

export interface SellerQuery {
  /** Part of the username, case-insensitive. */
  q?: string;
  /** Seller ids greater than this one (the cursor). */
  afterSellerId?: number;
  limit: number;
}

/** What an operator may change about a seller; only the fields given change. */
export interface SellerChanges {
  /** A time to disable the seller, or null to enable them again. */
  disabledAt?: number | null;
  /** New stores, by name. */
  addStores?: string[];
  /** Stores of this seller to rename. */
  renameStores?: Array<{ storeId: number; name: string }>;
}

export interface GrantQuery {
  appKey?: string;
  sellerId?: number;
  /** live: not revoked; revoked: revoked; absent: both. */
  status?: 'live' | 'revoked';
  /** Grants older than this one in (createdAt desc, grantId desc) order (the cursor). */
  before?: { createdAt: number; grantId: string };
  limit: number;
}

export interface AuditQuery {
  /** An exact event name, or a prefix when it ends with `.*` (`grant.*`). */
  action?: string;
  actor?: string;
  /** Entries at or after this time. */
  since?: number;
  /** Entries with a smaller id (the cursor; newest first). */
  beforeId?: number;
  limit: number;
}

export interface ManagementStorage {
  /** Store a new token (hashed) with its audit line, in one transaction. */
  createOperatorToken(input: {
    name: string;
    tokenHash: string;
    readOnly: boolean;
    createdAt: number;
    createdBy: string | null;
  }): Promise<OperatorTokenRecord>;
  /** The unrevoked token with this SHA-256, if any. */
  findOperatorToken(tokenHash: string): Promise<OperatorTokenRecord | undefined>;
  /** Every token, revoked ones too, newest first. */
  listOperatorTokens(): Promise<OperatorTokenRecord[]>;
  /** Revoke a token with its audit line; false when there is no such unrevoked token. */
  revokeOperatorToken(tokenId: number, now: number, actor: string | null): Promise<boolean>;
  /** A use of a token: its audit line and its last use, in one transaction. */
  recordOperatorTokenUse(tokenId: number, event: AuditEvent): Promise<void>;

  sellers(query: SellerQuery): Promise<SellerSummary[]>;
  seller(sellerId: number): Promise<SellerSummary | undefined>;
  /** Change a seller with the audit line, in one transaction; false when there is no such seller. */
  updateSeller(sellerId: number, changes: SellerChanges, audit: AuditEvent): Promise<boolean>;

  grants(query: GrantQuery): Promise<GrantRecord[]>;
  audit(query: AuditQuery): Promise<AuditRecord[]>;
}
