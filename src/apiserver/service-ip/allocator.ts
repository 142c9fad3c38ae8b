// Service allocations as kube-apiserver makes them (pkg/registry/core/service/storage/alloc.go, v1.30, on a
// single-stack IPv4 cluster): the IP family fields, the ClusterIP, the NodePorts and the health-check
// NodePort, taken before validation and committed or reverted with the store write (write-hooks.ts).
// The pools live in memory; at start they are rebuilt from the stored Services, as upstream's repair
// controller does, so nothing but the Services themselves is persisted.
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../api/types.js';
import {
  type FieldError,
  fieldErrorBody,
  formatFieldError,
  GoValue,
  goQuote,
  invalid,
} from '../../api/validation/field-error.js';
import {
  ipFamilyOf,
  needsHealthCheck,
  validateServiceClusterIPsRelatedFields,
} from '../../api/validation/service.js';
import { ApiError, internalError, invalid as invalidError } from '../errors.js';
import type { WriteHooks, WriteTransaction } from '../write-hooks.js';
import type { Random } from './bitmap.js';
import { type Cidr, DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CIDR, parseServiceCidr } from './config.js';
import { AllocationError, IpRange, PortRange } from './ranges.js';
import { needsClusterIP, needsNodePort } from './service-strategy.js';

export interface ServiceAllocatorOptions {
  /** @default DEFAULT_SERVICE_CIDR */
  cidr?: string | Cidr;
  /** @default 30000-32767 */
  nodePorts?: { base: number; size: number };
  /** Tests pass a seeded source; upstream draws at random. */
  random?: Random;
}

const SERVICE = { group: '', kind: 'Service' };

function invalidService(svc: Service, errs: FieldError[]): ApiError {
  return invalidError(
    SERVICE,
    svc.metadata?.name ?? '',
    errs.map((e) => ({ reason: e.type, field: e.field, body: fieldErrorBody(e), full: formatFieldError(e) })),
  );
}

function stringSlice(v: string[] | undefined): GoValue {
  return new GoValue(v, v ? `[]string{${v.map(goQuote).join(', ')}}` : '[]string(nil)');
}

/** The pending half of an allocation: what to give back on revert and what to release on commit. */
class Txn implements WriteTransaction {
  readonly takenIPs: string[] = [];
  readonly takenPorts: number[] = [];
  readonly releaseIPs: string[] = [];
  readonly releasePorts: number[] = [];
  #done = false;

  constructor(
    private readonly alloc: ServiceAllocator,
    private readonly dryRun: boolean,
  ) {}

  commit(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.dryRun) return;
    for (const ip of this.releaseIPs) this.alloc.ips.release(ip);
    for (const p of this.releasePorts) this.alloc.nodePorts.release(p);
  }

  revert(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.dryRun) return;
    for (const ip of this.takenIPs) this.alloc.ips.release(ip);
    for (const p of this.takenPorts) this.alloc.nodePorts.release(p);
  }
}

export class ServiceAllocator implements WriteHooks {
  readonly cidr: Cidr;
  readonly ips: IpRange;
  readonly nodePorts: PortRange;

  constructor(options: ServiceAllocatorOptions = {}) {
    const cidr = options.cidr ?? DEFAULT_SERVICE_CIDR;
    this.cidr = typeof cidr === 'string' ? parseServiceCidr(cidr, '') : cidr;
    this.ips = new IpRange(this.cidr, options.random);
    const np = options.nodePorts ?? DEFAULT_NODE_PORT_RANGE;
    this.nodePorts = new PortRange(np.base, np.size, options.random);
  }

  // ---- WriteHooks ----

  beginCreate(obj: KubeObject, dryRun: boolean): WriteTransaction {
    const svc = obj as unknown as Service;
    const txn = new Txn(this, dryRun);
    try {
      this.#initIPFamilyFields(svc, undefined);
      this.#allocClusterIPs(svc, txn, dryRun);
      if (needsNodePort(svc)) this.#initNodePorts(svc, txn, dryRun);
      if (needsHealthCheck(svc)) this.#allocHealthCheckNodePort(svc, txn, dryRun);
    } catch (e) {
      txn.revert();
      throw e;
    }
    return txn;
  }

  beginUpdate(obj: KubeObject, oldObj: KubeObject, dryRun: boolean): WriteTransaction {
    const svc = obj as unknown as Service;
    const old = oldObj as unknown as Service;
    const txn = new Txn(this, dryRun);
    try {
      this.#initIPFamilyFields(svc, old);
      this.#updateClusterIPs(svc, old, txn, dryRun);
      this.#updateNodePorts(svc, old, txn, dryRun);
    } catch (e) {
      txn.revert();
      throw e;
    }
    return txn;
  }

  afterDelete(obj: KubeObject): void {
    const svc = obj as unknown as Service;
    for (const ip of clusterIPsOf(svc)) this.ips.release(ip);
    for (const p of nodePortsOf(svc)) this.nodePorts.release(p);
  }

  // ---- rebuild ----

  /**
   * Marks the addresses and ports of stored Services as taken (the repair controller's pass at start).
   * Returns one message per problem: an address outside the current range (the service CIDR changed), or
   * taken twice. Those Services keep what they have; the messages say to recreate them.
   */
  rebuild(services: readonly Service[]): string[] {
    const problems: string[] = [];
    for (const svc of services) {
      const key = `${svc.metadata?.namespace}/${svc.metadata?.name}`;
      for (const ip of clusterIPsOf(svc)) {
        if (!this.ips.contains(ip)) {
          problems.push(
            `Cluster IP ${ip} of service ${key} is not within the service CIDR ${this.cidr.text}; please recreate the service`,
          );
        } else if (this.ips.has(ip)) {
          problems.push(
            `the cluster IP ${ip} of service ${key} was assigned to multiple services; please recreate the service`,
          );
        } else this.ips.allocate(ip);
      }
      for (const p of new Set(nodePortsOf(svc))) {
        if (!this.nodePorts.contains(p)) {
          problems.push(
            `the node port ${p} of service ${key} is not within the port range ${this.nodePorts.text}; please recreate the service`,
          );
        } else if (this.nodePorts.has(p)) {
          problems.push(
            `the node port ${p} of service ${key} was assigned to multiple services; please recreate the service`,
          );
        } else this.nodePorts.allocate(p);
      }
    }
    return problems;
  }

  // ---- IP families (initIPFamilyFields) ----

  #initIPFamilyFields(svc: Service, old: Service | undefined): void {
    svc.spec ??= {};
    const spec = svc.spec;
    if (spec.type === 'ExternalName') return;
    if (spec.ipFamilyPolicy === undefined) {
      if (old?.spec?.ipFamilyPolicy) spec.ipFamilyPolicy = old.spec.ipFamilyPolicy;
      else if (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0) {
        // Headless and selectorless: its endpoints may be of either family.
        spec.ipFamilyPolicy = 'RequireDualStack';
      } else spec.ipFamilyPolicy = 'SingleStack';
    }
    const pre = validateServiceClusterIPsRelatedFields(svc);
    if (pre.length > 0) throw invalidService(svc, pre);
    const errs: FieldError[] = [];
    const policyPath = 'spec.ipFamilyPolicy';
    if (old) {
      const o = old.spec ?? {};
      if (spec.ipFamilyPolicy === 'SingleStack') {
        if (sameList(o.clusterIPs, spec.clusterIPs) && (spec.clusterIPs ?? []).length > 1) {
          spec.clusterIPs = spec.clusterIPs!.slice(0, 1);
        }
        if (sameList(o.ipFamilies, spec.ipFamilies) && (spec.ipFamilies ?? []).length > 1) {
          spec.ipFamilies = spec.ipFamilies!.slice(0, 1);
        }
      } else {
        if (
          (spec.clusterIPs ?? []).length < (o.clusterIPs ?? []).length &&
          (spec.clusterIPs ?? []).length > 0
        ) {
          errs.push(
            invalid(
              policyPath,
              spec.ipFamilyPolicy,
              "must be 'SingleStack' to release the secondary cluster IP",
            ),
          );
        }
        if (
          (spec.ipFamilies ?? []).length < (o.ipFamilies ?? []).length &&
          (spec.ipFamilies ?? []).length > 0
        ) {
          errs.push(
            invalid(
              policyPath,
              spec.ipFamilyPolicy,
              "must be 'SingleStack' to release the secondary IP family",
            ),
          );
        }
      }
    }
    if (spec.ipFamilyPolicy === 'SingleStack') {
      if ((spec.clusterIPs ?? []).length === 2) {
        errs.push(
          invalid(
            policyPath,
            spec.ipFamilyPolicy,
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
          ),
        );
      }
      if ((spec.ipFamilies ?? []).length === 2) {
        errs.push(
          invalid(
            policyPath,
            spec.ipFamilyPolicy,
            "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
          ),
        );
      }
    }
    const families = [...(spec.ipFamilies ?? [])];
    const clusterIPs = spec.clusterIPs ?? [];
    for (let i = 0; i < clusterIPs.length; i++) {
      const ip = clusterIPs[i]!;
      if (ip === 'None') break;
      const fam = ipFamilyOf(ip);
      if (i >= families.length) {
        if (fam !== 'IPv4') {
          errs.push(
            invalid(
              `spec.clusterIPs[${i}]`,
              stringSlice(clusterIPs),
              `${fam} is not configured on this cluster`,
            ),
          );
        } else families.push(fam);
      }
    }
    if (families.length > 0) spec.ipFamilies = families;
    if (errs.length > 0) throw invalidService(svc, errs);

    if (spec.clusterIP === 'None' && Object.keys(spec.selector ?? {}).length === 0) {
      spec.ipFamilies = families.length > 0 ? families : ['IPv4'];
      if (spec.ipFamilies.length < 2 && spec.ipFamilyPolicy !== 'SingleStack') {
        spec.ipFamilies.push(spec.ipFamilies[0] === 'IPv4' ? 'IPv6' : 'IPv4');
      }
      return;
    }
    if (spec.ipFamilyPolicy === 'RequireDualStack') {
      errs.push(
        invalid(policyPath, spec.ipFamilyPolicy, 'this cluster is not configured for dual-stack services'),
      );
    }
    families.forEach((f, i) => {
      if (f !== 'IPv4') errs.push(invalid(`spec.ipFamilies[${i}]`, f, 'not configured on this cluster'));
    });
    if (errs.length > 0) throw invalidService(svc, errs);
    if (families.length === 0) spec.ipFamilies = ['IPv4'];
  }

  // ---- ClusterIPs ----

  #allocClusterIPs(svc: Service, txn: Txn, dryRun: boolean): void {
    const spec = svc.spec!;
    if (!needsClusterIP(svc)) return;
    if (spec.clusterIPs?.[0] === 'None') return;
    const wanted = spec.clusterIPs?.[0] ?? '';
    let ip: string;
    if (wanted === '') {
      if (dryRun) {
        // Upstream's dry-run allocator does not look for a free address; it answers the network address.
        ip = this.cidr.text.split('/')[0]!;
      } else {
        try {
          ip = this.ips.allocateNext();
        } catch (e) {
          throw internalError(new Error(`failed to allocate a serviceIP: ${(e as Error).message}`));
        }
        txn.takenIPs.push(ip);
      }
    } else {
      try {
        this.ips.allocate(wanted, dryRun);
      } catch (e) {
        if (!(e instanceof AllocationError)) throw e;
        throw invalidService(svc, [
          invalid(
            'spec.clusterIPs',
            stringSlice(spec.clusterIPs),
            `failed to allocate IP ${wanted}: ${e.message}`,
          ),
        ]);
      }
      if (!dryRun) txn.takenIPs.push(wanted);
      ip = wanted;
    }
    spec.clusterIPs = [ip, ...(spec.clusterIPs ?? []).slice(1)];
    spec.clusterIP = ip;
  }

  #updateClusterIPs(svc: Service, old: Service, txn: Txn, dryRun: boolean): void {
    // Case A: from ExternalName to a type with a ClusterIP: allocate as on create.
    if (!needsClusterIP(old) && needsClusterIP(svc)) {
      this.#allocClusterIPs(svc, txn, dryRun);
      return;
    }
    if (old.spec?.clusterIPs?.[0] === 'None') return;
    // Case B: to ExternalName: the old addresses go once the update is stored.
    if (needsClusterIP(old) && !needsClusterIP(svc)) txn.releaseIPs.push(...clusterIPsOf(old));
  }

  // ---- NodePorts ----

  #takePort(port: number, txn: Txn, dryRun: boolean): void {
    this.nodePorts.allocate(port, dryRun);
    if (!dryRun) txn.takenPorts.push(port);
  }

  #nextPort(txn: Txn, dryRun: boolean): number {
    if (dryRun) return 0;
    let port: number;
    try {
      port = this.nodePorts.allocateNext();
    } catch (e) {
      throw internalError(new Error(`failed to allocate a nodePort: ${(e as Error).message}`));
    }
    txn.takenPorts.push(port);
    return port;
  }

  #portError(svc: Service, i: number, port: number, e: unknown): ApiError {
    if (!(e instanceof AllocationError)) throw e;
    return invalidService(svc, [invalid(`spec.ports[${i}].nodePort`, port, e.message)]);
  }

  /** initNodePorts: one NodePort per service port number (TCP and UDP on one port share it). */
  #initNodePorts(svc: Service, txn: Txn, dryRun: boolean): void {
    const ports = svc.spec?.ports ?? [];
    const byPort = new Map<number, number>();
    ports.forEach((sp, i) => {
      if (!sp.nodePort && !shouldAllocateNodePorts(svc)) return;
      const allocated = byPort.get(sp.port);
      if (allocated === undefined) {
        const requested = ports.find((p) => p.port === sp.port && p.nodePort)?.nodePort ?? 0;
        if (requested) {
          try {
            this.#takePort(requested, txn, dryRun);
          } catch (e) {
            throw this.#portError(svc, i, requested, e);
          }
          sp.nodePort = requested;
          byPort.set(sp.port, requested);
        } else {
          const np = this.#nextPort(txn, dryRun);
          sp.nodePort = np;
          byPort.set(sp.port, np);
        }
      } else if (sp.nodePort !== allocated) {
        if (!sp.nodePort) sp.nodePort = allocated;
        else {
          try {
            this.#takePort(sp.nodePort, txn, dryRun);
          } catch (e) {
            throw this.#portError(svc, i, sp.nodePort, e);
          }
        }
      }
    });
  }

  #allocHealthCheckNodePort(svc: Service, txn: Txn, dryRun: boolean): void {
    const spec = svc.spec!;
    const wanted = spec.healthCheckNodePort ?? 0;
    try {
      if (wanted) this.#takePort(wanted, txn, dryRun);
      else spec.healthCheckNodePort = this.#nextPort(txn, dryRun);
    } catch (e) {
      if (e instanceof ApiError) throw e;
      const what = wanted
        ? `failed to allocate requested HealthCheck NodePort ${wanted}`
        : 'failed to allocate a HealthCheck NodePort 0';
      throw internalError(new Error(`${what}: ${(e as Error).message}`));
    }
  }

  /** txnUpdateNodePorts: release what the new type or ports no longer use, allocate what is new. */
  #updateNodePorts(svc: Service, old: Service, txn: Txn, dryRun: boolean): void {
    const oldPorts = nodePortsOf({ ...old, spec: { ...old.spec, healthCheckNodePort: 0 } });
    if (needsNodePort(old) && !needsNodePort(svc)) txn.releasePorts.push(...oldPorts);
    if (needsNodePort(svc)) {
      const taken = new Set<number>();
      (svc.spec?.ports ?? []).forEach((sp: ServicePort, i) => {
        if (!sp.nodePort && !shouldAllocateNodePorts(svc)) return;
        if (sp.nodePort) {
          if (!oldPorts.includes(sp.nodePort) && !taken.has(sp.nodePort)) {
            try {
              this.#takePort(sp.nodePort, txn, dryRun);
            } catch (e) {
              throw this.#portError(svc, i, sp.nodePort, e);
            }
            taken.add(sp.nodePort);
          }
        } else sp.nodePort = this.#nextPort(txn, dryRun);
      });
      const now = new Set((svc.spec?.ports ?? []).map((p) => p.nodePort ?? 0));
      for (const p of oldPorts) if (!now.has(p)) txn.releasePorts.push(p);
    }
    const had = needsHealthCheck(old);
    const needs = needsHealthCheck(svc);
    if (!had && needs) this.#allocHealthCheckNodePort(svc, txn, dryRun);
    else if (had && !needs && old.spec?.healthCheckNodePort)
      txn.releasePorts.push(old.spec.healthCheckNodePort);
  }
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** shouldAllocateNodePorts: NodePort always; LoadBalancer unless allocateLoadBalancerNodePorts is false. */
function shouldAllocateNodePorts(svc: Service): boolean {
  if (svc.spec?.type === 'NodePort') return true;
  if (svc.spec?.type === 'LoadBalancer') return svc.spec.allocateLoadBalancerNodePorts !== false;
  return false;
}

/** The allocated addresses of a stored Service (none for ExternalName and headless ones). */
export function clusterIPsOf(svc: Service): string[] {
  if (!needsClusterIP(svc)) return [];
  return (svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : [])).filter(
    (ip) => ip && ip !== 'None',
  );
}

/** The NodePorts and health-check NodePort a stored Service holds. */
export function nodePortsOf(svc: Service): number[] {
  const out = (svc.spec?.ports ?? []).map((p) => p.nodePort ?? 0).filter((p) => p > 0);
  if (svc.spec?.healthCheckNodePort) out.push(svc.spec.healthCheckNodePort);
  return out;
}
