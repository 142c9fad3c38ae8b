// Per-resource hooks around the registry's writes, as upstream's Store.BeginCreate / BeginUpdate /
// AfterDelete (k8s.io/apiserver registry/generic/registry/store.go): a kind whose objects hold something
// allocated from a pool (Service ClusterIPs and NodePorts) takes it before validation and gives it back if
// the write fails, so nothing leaks or half-applies.
import type { KubeObject } from '../api/types.js';

/** What a begin hook took: committed once the store write succeeded, reverted otherwise. */
export interface WriteTransaction {
  commit(): void;
  revert(): void;
}

export interface WriteHooks {
  /**
   * Runs on a prepared and defaulted object before validation and may fill fields in (allocations). Throws
   * an ApiError to refuse the create. `dryRun` takes nothing.
   */
  beginCreate(obj: KubeObject, dryRun: boolean): WriteTransaction;
  /** The same for an update of the main resource (not /status): `obj` replaces `old`. */
  beginUpdate(obj: KubeObject, old: KubeObject, dryRun: boolean): WriteTransaction;
  /** After `obj` has left the store. */
  afterDelete(obj: KubeObject): void;
}

export const NO_TRANSACTION: WriteTransaction = { commit: () => {}, revert: () => {} };

/**
 * An admission plugin's create step (upstream's MutationInterface + ValidationInterface for CREATE): runs on
 * the decoded object, before defaulting and validation, and may change it or throw an ApiError (Forbidden)
 * to refuse it. Unlike the write hooks it may wait (it reads other objects).
 */
export type AdmissionHook = (
  obj: KubeObject,
  dryRun: boolean,
  /** generatedName: metadata.name was drawn from generateName for this create (mutating plugins' errors leave it out). */
  context: { generatedName: boolean },
) => Promise<void>;

/**
 * An admission plugin's update step (ValidationInterface for UPDATE): runs on the prepared object that is to
 * replace `old`, before validation, and throws an ApiError to refuse the update.
 */
export type UpdateAdmissionHook = (obj: KubeObject, old: KubeObject, dryRun: boolean) => Promise<void>;
