// podrun's kube-proxy: what the rest of podrun uses of src/network/proxy.
export { applyNftRuleset, type NftApplyOptions } from './apply.js';
export { CommandError, type CommandResult } from './exec.js';
export {
  HostServiceTable,
  type HostServiceTableOptions,
  type HostTablesReport,
  reclaimHostServiceTables,
} from './host-table.js';
export { type NftRenderOptions, renderNftRuleset } from './nft.js';
export { computeServiceRules, DEFAULT_AFFINITY_TIMEOUT_SECONDS, LABEL_SERVICE_NAME } from './rules.js';
export {
  ServiceProxy,
  type ServiceProxyEventType,
  type ServiceProxyOptions,
  type ServiceRulesSink,
} from './service-proxy.js';
