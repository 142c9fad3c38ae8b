// Renders ServiceRules as one nftables transaction (kube-proxy's nftables mode, reduced to what one node needs).
// Placeholder signature: the proxy work fills it in; the host runtime applies its output in each pod's netns.
import type { ServiceRules } from '../types.js';

export interface NftRenderOptions {
  /** The table's name: `podrun` in a pod's netns; one per podrun instance in the host's. */
  table: string;
}

/**
 * One `nft -f` input that replaces the table atomically (it creates the table if absent, deletes it, and
 * declares it anew, all in one transaction), so applying it twice is the same as once.
 */
export function renderNftRuleset(rules: ServiceRules, options: NftRenderOptions): string {
  void rules;
  return `table ip ${options.table}\ndelete table ip ${options.table}\ntable ip ${options.table} {\n}\n`;
}
