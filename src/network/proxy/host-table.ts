// The Service rules in the host's netns, for the machine's own clients (and hostNetwork pods): pods carry
// their own table, so this one only sees locally originated traffic. What it puts on the machine:
//
//   - an nft table `podrun-<instance id>` (renderNftRuleset's rules) whose comment names its owner process
//     and the route it needs (host-owner.ts);
//   - the route `<service CIDR> dev <bridge> src <bridge address> proto 112`, so that connect() to a VIP
//     finds a route even on a machine without a default route, and a VIP that nothing DNATs goes to the bridge
//     (where no one answers) rather than out of the machine. Protocol 112 marks the route as podrun's.
//
// Several podrun instances may share one bridge (tests run several at once), hence one route for all of
// them. The rule: the live tables are the claims on a route. An instance adds the route after its table
// exists; on close it deletes its table, then the route if no live table claims the CIDR, then looks again
// and puts the route back if a claim appeared meanwhile (an instance that started in between added its table
// before its route, so one of the two always sees the other). At start, tables whose owner process is dead
// and podrun routes no live table claims are removed: nothing podrun made outlives the podrun that made it
// by more than the next start.

import type { ServiceRules } from '../types.js';
import { applyNftRuleset } from './apply.js';
import { CommandError, type CommandOptions, runChecked, runCommand } from './exec.js';
import {
  formatClaim,
  ownerAlive,
  parseClaim,
  type RouteClaim,
  selfOwner,
  type TableClaim,
  type TableOwner,
} from './host-owner.js';
import { parseIpv4, parseIpv4Cidr } from './ipv4.js';
import { renderNftRuleset } from './nft.js';

/** `proto` of podrun's service routes: not one of iproute2's named protocols (rt_protos). */
export const ROUTE_PROTO = '112';
export const HOST_TABLE_PREFIX = 'podrun-';

export interface HostServiceTableOptions {
  /** Names the table `podrun-<instanceId>`: e.g. a short hash of the state directory (letters, digits, '-'). */
  instanceId: string;
  serviceCidr: string;
  /** The pods' bridge, and its address (the source the host uses towards pods). */
  bridge: string;
  gateway: string;
  /** Work in this netns instead of the current one (tests give a netns acting as the host). */
  netnsPath?: string;
  /** The process recorded as the owner; this one by default (tests record another). */
  owner?: TableOwner;
  /** Whether an owner still runs; /proc by default. */
  isAlive?: (owner: TableOwner) => boolean;
}

export interface HostTablesReport {
  /** Tables of dead podrun instances that were deleted. */
  reclaimedTables: string[];
  /** podrun routes (`proto 112`) no live table claimed, deleted. */
  reclaimedRoutes: string[];
  /** Tables named podrun-* without podrun's owner comment: not podrun's to delete, left alone. */
  foreignTables: string[];
}

interface Listed {
  name: string;
  claim: TableClaim | undefined;
}

export class HostServiceTable {
  readonly table: string;
  readonly #cidr: string;
  readonly #route: RouteClaim;
  readonly #exec: CommandOptions;
  readonly #owner: TableOwner;
  readonly #isAlive: (owner: TableOwner) => boolean;
  #state: 'new' | 'started' | 'closed' = 'new';

  constructor(options: HostServiceTableOptions) {
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/.test(options.instanceId)) {
      throw new Error(
        `host service table: instanceId ${JSON.stringify(options.instanceId)}: expected 1-32 letters, digits or '-'`,
      );
    }
    if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(options.bridge)) {
      throw new Error(
        `host service table: bridge ${JSON.stringify(options.bridge)} is not an interface name`,
      );
    }
    if (parseIpv4(options.gateway) === undefined) {
      throw new Error(
        `host service table: gateway ${JSON.stringify(options.gateway)} is not an IPv4 address`,
      );
    }
    this.table = `${HOST_TABLE_PREFIX}${options.instanceId}`;
    this.#cidr = parseIpv4Cidr(options.serviceCidr, 'serviceCidr').text;
    this.#route = { cidr: this.#cidr, dev: options.bridge, src: options.gateway };
    this.#exec = options.netnsPath === undefined ? {} : { netnsPath: options.netnsPath };
    this.#owner = options.owner ?? selfOwner();
    this.#isAlive = options.isAlive ?? ownerAlive;
  }

  /**
   * Reclaims what dead instances left, checks that the service CIDR is free on this machine, then installs
   * this instance's (empty) table and the route. Run after the bridge exists (the route names it).
   */
  async start(): Promise<HostTablesReport> {
    if (this.#state !== 'new') throw new Error(`host service table ${this.table}: start() called twice`);
    const report = await reclaimHostServiceTables({
      ...this.#exec,
      isAlive: this.#isAlive,
      keepRoute: this.#cidr,
      skipTable: this.table,
    });
    await this.#checkRouteIsFree();
    await this.#install({ serviceCidr: this.#cidr, clusterIPs: [], ports: [] });
    await this.#addRoute(this.#route);
    this.#state = 'started';
    return report;
  }

  /** Replaces the table's rules (atomically). A sink for ServiceProxy. */
  async apply(rules: ServiceRules): Promise<void> {
    if (this.#state !== 'started') {
      throw new Error(`host service table ${this.table}: apply() before start() or after close()`);
    }
    await this.#install(rules);
  }

  async #install(rules: ServiceRules): Promise<void> {
    if (parseIpv4Cidr(rules.serviceCidr, 'serviceCidr').text !== this.#cidr) {
      throw new Error(
        `host service table ${this.table}: rules for service CIDR ${rules.serviceCidr}, but the route was set up for ${this.#cidr}`,
      );
    }
    const comment = formatClaim({ owner: this.#owner, route: this.#route });
    await applyNftRuleset(renderNftRuleset(rules, { table: this.table, comment }), this.#exec);
  }

  /** Deletes the table, and the route unless another live instance still claims it. Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await deleteTable(this.table, this.#exec);
    if ((await this.#liveClaims()).length > 0) return;
    await this.#deleteRoute();
    // An instance that started meanwhile added its table before its route: if its route went with ours, put
    // it back (as it would have written it).
    const late = await this.#liveClaims();
    if (late[0]) await this.#addRoute(late[0].route);
  }

  async #liveClaims(): Promise<TableClaim[]> {
    const tables = await listHostTables(this.#exec);
    return tables
      .map((t) => t.claim)
      .filter(
        (c): c is TableClaim => c !== undefined && c.route.cidr === this.#cidr && this.#isAlive(c.owner),
      );
  }

  async #checkRouteIsFree(): Promise<void> {
    // Another live podrun routing this CIDR to another bridge: one of the two would lose its VIPs.
    for (const claim of await this.#liveClaims()) {
      if (claim.route.dev !== this.#route.dev) {
        throw new Error(
          `service CIDR ${this.#cidr} is already routed to bridge ${claim.route.dev} by podrun process ${claim.owner.pid}; give this podrun another service CIDR or the same bridge`,
        );
      }
    }
    // A network of the machine's inside the service CIDR: the route would hijack it.
    const res = await runChecked('ip', ['-j', 'route', 'show', 'to', 'root', this.#cidr], this.#exec);
    const others = parseRoutes(res.stdout).filter((r) => r.protocol !== ROUTE_PROTO);
    if (others.length > 0) {
      const list = others.map((r) => `${r.dst} dev ${r.dev ?? '?'}`).join('; ');
      throw new Error(
        `service CIDR ${this.#cidr} overlaps networks this machine routes (${list}): choose another service CIDR`,
      );
    }
  }

  async #addRoute(route: RouteClaim): Promise<void> {
    try {
      await runChecked(
        'ip',
        ['route', 'replace', route.cidr, 'dev', route.dev, 'src', route.src, 'proto', ROUTE_PROTO],
        this.#exec,
      );
    } catch (e) {
      if (e instanceof CommandError) {
        throw new Error(
          `routing the service CIDR ${route.cidr} to bridge ${route.dev} (source ${route.src}) failed: ${e.stderr.trim() || e.message}; the bridge must exist and hold that address`,
        );
      }
      throw e;
    }
  }

  async #deleteRoute(): Promise<void> {
    const res = await runCommand(
      'ip',
      ['route', 'del', this.#cidr, 'dev', this.#route.dev, 'proto', ROUTE_PROTO],
      this.#exec,
    );
    // Gone already (another instance closed, or the bridge went away taking its routes).
    if (res.exitCode !== 0 && !/No such process|Cannot find device/.test(res.stderr)) {
      throw new CommandError(res.command, res.exitCode, res.stderr, res.stdout);
    }
  }
}

export interface ReclaimOptions {
  netnsPath?: string;
  isAlive?: (owner: TableOwner) => boolean;
  /** A CIDR whose podrun route is left (the caller is about to claim it). */
  keepRoute?: string;
  /** A table left alone (the caller's own, about to be replaced). */
  skipTable?: string;
}

/**
 * Deletes the host tables of dead podrun instances and podrun routes that no live table claims; reports
 * podrun-* tables it does not recognise without touching them.
 */
export async function reclaimHostServiceTables(options: ReclaimOptions = {}): Promise<HostTablesReport> {
  const exec: CommandOptions = options.netnsPath === undefined ? {} : { netnsPath: options.netnsPath };
  const isAlive = options.isAlive ?? ownerAlive;
  const report: HostTablesReport = { reclaimedTables: [], reclaimedRoutes: [], foreignTables: [] };
  // Routes first, tables second: an instance adds its table before its route, so any route seen here whose
  // instance is alive has a table the listing below sees.
  const routes = parseRoutes(
    (await runChecked('ip', ['-j', 'route', 'show', 'proto', ROUTE_PROTO], exec)).stdout,
  );
  const claimed = new Set<string>();
  for (const t of await listHostTables(exec)) {
    if (!t.claim) {
      report.foreignTables.push(t.name);
    } else if (isAlive(t.claim.owner)) {
      claimed.add(t.claim.route.cidr);
    } else if (t.name !== options.skipTable) {
      await deleteTable(t.name, exec);
      report.reclaimedTables.push(t.name);
    }
  }
  for (const r of routes) {
    if (claimed.has(r.dst) || r.dst === options.keepRoute) continue;
    const args = ['route', 'del', r.dst, 'proto', ROUTE_PROTO, ...(r.dev ? ['dev', r.dev] : [])];
    const res = await runCommand('ip', args, exec);
    if (res.exitCode === 0) report.reclaimedRoutes.push(`${r.dst} dev ${r.dev ?? '?'}`);
  }
  return report;
}

async function listHostTables(exec: CommandOptions): Promise<Listed[]> {
  const res = await runChecked('nft', ['list', 'tables', 'ip'], exec);
  const names = res.stdout
    .split('\n')
    .map((l) => /^table ip (\S+)$/.exec(l.trim())?.[1])
    .filter((n): n is string => n?.startsWith(HOST_TABLE_PREFIX) === true);
  const out: Listed[] = [];
  for (const name of names) {
    // nft 1.0.6 leaves comments out of its JSON: read the table's own comment from the text listing (-t: no set
    // elements). A table deleted since the listing is skipped.
    const listed = await runCommand('nft', ['-t', 'list', 'table', 'ip', name], exec);
    if (listed.exitCode !== 0) continue;
    const comment = /^\tcomment "([^"]*)"$/m.exec(listed.stdout)?.[1];
    out.push({ name, claim: comment === undefined ? undefined : parseClaim(comment) });
  }
  return out;
}

async function deleteTable(name: string, exec: CommandOptions): Promise<void> {
  const res = await runCommand('nft', ['delete', 'table', 'ip', name], exec);
  if (res.exitCode !== 0 && !/No such file or directory/.test(res.stderr)) {
    throw new CommandError(res.command, res.exitCode, res.stderr, res.stdout);
  }
}

interface RouteEntry {
  dst: string;
  dev?: string;
  protocol?: string;
}

function parseRoutes(json: string): RouteEntry[] {
  if (!json.trim()) return [];
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed)) return [];
  return parsed.filter(
    (r): r is RouteEntry => typeof r === 'object' && r !== null && typeof (r as RouteEntry).dst === 'string',
  );
}
