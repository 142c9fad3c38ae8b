// What a host runtime is made with (see runtime.ts), and the places and pod network it derives from that.
import { join } from 'node:path';
import type { ImageServiceApi } from '../../images/service.js';
import type { ServiceRules } from '../../network/types.js';
import type { Clock } from '../../util/clock.js';
import { RuntimeError } from '../types.js';
import { Ipam, parseCidr, type Subnet } from './ipam.js';
import { realDir, recordsDirOf, recordsRoot } from './records.js';
import type { SpecContext } from './request-specs.js';

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

export interface HostLayout {
  stateDir: string;
  runDir: string;
  /** Where the records of this state directory are: see linkRecords. */
  records: string;
  bridge: string;
  subnet: Subnet;
  ipam: Ipam;
  /** What every shim request is built from. */
  spec: SpecContext;
}

export function hostLayout(options: HostRuntimeOptions): HostLayout {
  // Real paths: the records are found by the state directory's path, and the tmpfs by its mount point, so a
  // state or run directory reached through a link (/var/run is /run on Debian) must name the same place.
  const stateDir = realDir(options.stateDir);
  const runDir = realDir(options.runDir ?? '/run/podrun');
  const records = recordsDirOf(runDir, stateDir);
  const bridge = options.bridgeName ?? 'podrun0';
  if (bridge.length > 15) {
    throw new RuntimeError(
      'Unsupported',
      `bridgeName ${JSON.stringify(bridge)} is longer than 15 characters (Linux's limit)`,
    );
  }
  const subnet = parseCidr(options.podCidr ?? DEFAULT_CIDR);
  const ipam = new Ipam(join(recordsRoot(runDir), 'ipam', bridge), subnet, stateDir);
  const spec: SpecContext = {
    stateDir,
    records,
    ipamDir: ipam.dir,
    bridge,
    gateway: subnet.gateway,
    prefix: subnet.prefix,
    logMaxBytes: options.logMaxBytes ?? 10 * 1024 * 1024,
    logMaxFiles: Math.max(2, options.logMaxFiles ?? 5),
  };
  return { stateDir, runDir, records, bridge, subnet, ipam, spec };
}
