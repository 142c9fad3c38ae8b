// kubectl's resource arguments: `pods`, `po`, `pod/web`, `deployments.apps`, `pods,svc`, `all`, matched as
// its RESTMapper matches them (plural, singular, short name, or kind, case-insensitive, optionally
// group-qualified) against podrun's resource table, which is what discovery serves.
import { RESOURCES, type ResourceInfo } from '../../api/resources.js';

/** A usage error kubectl prints as `error: …` (exit 1). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** One resource named by a word; UsageError in kubectl's words when the server has no such type. */
export function resolveResource(word: string): ResourceInfo {
  const lower = word.toLowerCase();
  const dot = lower.indexOf('.');
  const name = dot >= 0 ? lower.slice(0, dot) : lower;
  const rest = dot >= 0 ? lower.slice(dot + 1) : undefined;
  const matches = RESOURCES.filter((r) => {
    if (rest !== undefined) {
      // `deployments.apps` or `deployments.v1.apps`.
      const group = rest.startsWith(`${r.version}.`) ? rest.slice(r.version.length + 1) : rest;
      if (group !== r.group) return false;
    }
    return (
      r.resource === name ||
      r.singular === name ||
      r.kind.toLowerCase() === name ||
      r.shortNames.includes(name)
    );
  });
  const found = matches[0];
  if (!found) throw new UsageError(`the server doesn't have a resource type "${word}"`);
  return found;
}

/** `all` and other categories: every resource listed under it, in the table's order. */
function category(word: string): ResourceInfo[] {
  return RESOURCES.filter((r) => r.categories.includes(word.toLowerCase()));
}

export function resolveTypes(list: string): ResourceInfo[] {
  const out: ResourceInfo[] = [];
  for (const word of list.split(',')) {
    if (word === '') continue;
    const members = category(word);
    for (const r of members.length > 0 ? members : [resolveResource(word)]) if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** What the arguments ask for: a type with its names (none: all of them), in the order given. */
export interface ResourceRequest {
  resource: ResourceInfo;
  names: string[];
}

/** kubectl's ResourceTypeOrNameArgs: `TYPE[,TYPE] [NAME...]` or `TYPE/NAME [TYPE/NAME...]`. */
export function parseResourceArgs(args: string[]): ResourceRequest[] {
  if (args.length === 0) {
    throw new UsageError(
      'You must specify the type of resource to get. Use "podrun api-resources" for a complete list of supported resources.',
    );
  }
  if (args.some((a) => a.includes('/'))) {
    const out: ResourceRequest[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      if (slash < 0) {
        throw new UsageError(
          `there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'podrun get resource/<resource_name>' instead of 'podrun get resource resource/<resource_name>'`,
        );
      }
      const name = arg.slice(slash + 1);
      if (name === '' || name.includes('/'))
        throw new UsageError(`arguments in resource/name form must have a single resource and name`);
      const resource = resolveResource(arg.slice(0, slash));
      const prev = out[out.length - 1];
      if (prev && prev.resource === resource) prev.names.push(name);
      else out.push({ resource, names: [name] });
    }
    return out;
  }
  const [types, ...names] = args;
  return resolveTypes(types!).map((resource) => ({ resource, names: [...names] }));
}

/** `pod`, `deployment.apps`: how kubectl names a kind in `-o name` and `kind/name` prefixes. */
export function kindPrefix(r: ResourceInfo): string {
  return r.group === '' ? r.kind.toLowerCase() : `${r.kind.toLowerCase()}.${r.group}`;
}

/** `pods`, `deployments.apps`: the group-qualified resource of kubectl's messages. */
export function qualifiedName(r: ResourceInfo): string {
  return r.group === '' ? r.resource : `${r.resource}.${r.group}`;
}
