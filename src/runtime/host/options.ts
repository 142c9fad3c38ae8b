// What a host runtime is made with (see runtime.ts), and the defaults it fills in.
import type { ImageServiceApi } from '../../images/service.js';
import type { ServiceRules } from '../../network/types.js';
import type { Clock } from '../../util/clock.js';

export interface HostRuntimeOptions {
  /** Where sandbox and container records live; survives podrun restarts. */
  stateDir: string;
  /** Pod network; the bridge takes the first address, pods the following ones. Default 10.244.0.0/16. */
  podCidr?: string;
  clock?: Clock;
  /** Bridge the pods' veths join. Default `podrun0`. One bridge serves one pod network. */
  bridgeName?: string;
  /** Machine-wide run directory (a tmpfs) for IP allocations and the host lock. Default `/run/podrun`. */
  runDir?: string;
  /** Container log rotation: size that triggers it and files kept (the live one included). 10 MiB and 5. */
  logMaxBytes?: number;
  logMaxFiles?: number;
  /** perl, ip and nft; found on the usual paths when not given. */
  perlPath?: string;
  ipPath?: string;
  /** '' when the machine has none: then Services do not reach pods, and setServiceRules says so once. */
  nftPath?: string;
  /** Problems the runtime survives (a pod's Service rules failed, nft missing). Default: stderr. */
  log?: (message: string) => void;
  /** Renders Service rules for `nft -f` (default: the proxy's renderNftRuleset); for tests and benchmarks. */
  renderRules?: (rules: ServiceRules, table: string) => string;
  /** Network namespaces with the Service rules kept ready for new pods (default 2; 0: each holder runs nft). */
  spareNetns?: number;
  /**
   * Containers' cgroups kept ready with a zygote in them (cgroup-spares.ts). Default 0: they were made to take
   * the RCU wait of a cgroup.procs write off the start path, which the shim's join through `tasks` now avoids,
   * and refilling the pool competes with the next start (one pod of three init containers: 63 ms without,
   * 78 ms with; docs/benchmarks.md).
   */
  spareCgroups?: number;
  /** Where images come from and containers' root filesystems are made; without it, only rootfs "host" runs. */
  images?: ImageServiceApi;
}

/** The pod network when none is given. */
export const DEFAULT_CIDR = '10.244.0.0/16';
