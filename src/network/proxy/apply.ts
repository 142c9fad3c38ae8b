// Installing a rendered ruleset: one `nft -f -` transaction, in this netns or another one.

import { type CommandResult, runChecked } from './exec.js';

export interface NftApplyOptions {
  /** Apply inside this network namespace (`/run/netns/<name>`, `/proc/<pid>/ns/net`) through nsenter. */
  netnsPath?: string;
  /** `nft -c`: have the kernel check the transaction without committing it. */
  checkOnly?: boolean;
}

/**
 * Applies `text` (renderNftRuleset's output) atomically: either all of it takes effect or none does. Rejects
 * with a CommandError (command, exitCode, stderr) when nft refuses it or the netns cannot be entered.
 */
export async function applyNftRuleset(text: string, options: NftApplyOptions = {}): Promise<CommandResult> {
  const args = options.checkOnly ? ['-c', '-f', '-'] : ['-f', '-'];
  const opts =
    options.netnsPath === undefined ? { input: text } : { input: text, netnsPath: options.netnsPath };
  return runChecked('nft', args, opts);
}
