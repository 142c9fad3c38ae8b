// Regenerates types.generated.ts from the kubernetes-types declarations (v1.30), so the strict decoder knows every
// field of every kind podrun serves without hand-copying ~150 structs, and descriptions.generated.ts from their
// JSDoc (upstream's field documentation, which OpenAPI carries for `kubectl explain`). Every kind in the resource
// table is a root, its group-version's declarations found by the group's first label (`rbac/v1.d.ts` for
// rbac.authorization.k8s.io/v1), so a kind added to resources.ts gets its fields and descriptions at the next
// run. Dev tool only (needs the `typescript` devDependency): `node --import tsx src/api/schema/generate.ts`.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { RESOURCES } from '../resources.js';

const require = createRequire(import.meta.url);
const root = dirname(require.resolve('kubernetes-types/package.json'));
// core/v1 comes before discovery/v1: both declare EndpointPort, with the same fields, and the first one wins.
const files = [
  'core/v1.d.ts',
  'apps/v1.d.ts',
  'batch/v1.d.ts',
  'discovery/v1.d.ts',
  'coordination/v1.d.ts',
  'storage/v1.d.ts',
  'rbac/v1.d.ts',
  'authorization/v1.d.ts',
  'authentication/v1.d.ts',
  'policy/v1.d.ts',
  'networking/v1.d.ts',
  'scheduling/v1.d.ts',
  'meta/v1.d.ts',
  'runtime.d.ts',
];
// Then the declarations of every group-version in the resource table not named above (first one wins on a
// name declared twice, so these come after core/v1).
for (const r of RESOURCES) {
  const f = `${r.group === '' ? 'core' : r.group.split('.')[0]}/${r.version}.d.ts`;
  // A group kubernetes-types does not declare (apiregistration.k8s.io) comes from extraStructs below.
  if (!files.includes(f) && existsSync(join(root, f))) files.push(f);
}

/** Kinds podrun serves; everything they reach is emitted. */
const roots = [
  'Pod',
  'PodTemplateSpec',
  'Deployment',
  'ReplicaSet',
  'Job',
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Service',
  'Namespace',
  'Endpoints',
  'EndpointSlice',
  'Event',
  'Node',
  'Lease',
  'Status',
  'PersistentVolumeClaim',
  'PersistentVolume',
  'StorageClass',
  'StatefulSet',
  'ControllerRevision',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'SelfSubjectAccessReview',
  'SubjectAccessReview',
  'LocalSubjectAccessReview',
  'SelfSubjectRulesReview',
  'SelfSubjectReview',
  'DaemonSet',
  'CronJob',
  'ReplicationController',
  'PodDisruptionBudget',
  'Eviction',
  'NetworkPolicy',
  'Ingress',
  'IngressClass',
  'PriorityClass',
  'LimitRange',
  'ResourceQuota',
  // Every kind the resource table serves.
  ...RESOURCES.map((r) => r.kind),
];

/**
 * Kinds kubernetes-types does not declare (kube-aggregator's apiregistration.k8s.io/v1), written out from
 * k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/types.go.
 */
const extraStructs: Record<string, Record<string, string>> = {
  APIService: {
    apiVersion: 'string',
    kind: 'string',
    metadata: 'ObjectMeta',
    spec: 'APIServiceSpec',
    status: 'APIServiceStatus',
  },
  APIServiceSpec: {
    service: 'APIServiceServiceReference',
    group: 'string',
    version: 'string',
    insecureSkipTLSVerify: 'bool',
    caBundle: 'bytes',
    groupPriorityMinimum: 'int',
    versionPriority: 'int',
  },
  APIServiceServiceReference: { namespace: 'string', name: 'string', port: 'int' },
  APIServiceStatus: { conditions: '[]APIServiceCondition' },
  APIServiceCondition: {
    type: 'string',
    status: 'string',
    lastTransitionTime: 'time',
    reason: 'string',
    message: 'string',
  },
};

/** Fields whose JSON form is base64 ([]byte in Go). The .d.ts says `string` for them. */
const bytesFields: Record<string, Record<string, string>> = {
  Secret: { data: 'map[string]bytes' },
  ConfigMap: { binaryData: 'map[string]bytes' },
};

/** Type aliases and empty interfaces that carry free-form or scalar JSON. */
const aliasTypes: Record<string, string> = {
  Quantity: 'quantity',
  Time: 'time',
  MicroTime: 'time',
  FieldsV1: 'any',
  RawExtension: 'any',
};

const interfaces = new Map<string, ts.InterfaceDeclaration>();
const sources = new Map<ts.InterfaceDeclaration, string>();

function loadInterfaces(): void {
  if (interfaces.size > 0) return;
  for (const f of files) {
    const text = readFileSync(join(root, f), 'utf8');
    const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
    for (const st of sf.statements) {
      if (ts.isInterfaceDeclaration(st) && !interfaces.has(st.name.text)) {
        interfaces.set(st.name.text, st);
        sources.set(st, text);
      }
    }
  }
}

function typeString(node: ts.TypeNode, want: Set<string>): string {
  if (ts.isUnionTypeNode(node)) {
    const parts = node.types.map((t) => t.getText()).sort();
    if (parts.join('|') === 'number|string') return 'intOrString';
    throw new Error(`unsupported union ${node.getText()}`);
  }
  if (node.kind === ts.SyntaxKind.StringKeyword) return 'string';
  // apiVersion and kind are string literals on top-level kinds; checked against resources.ts elsewhere.
  if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return 'string';
  if (node.kind === ts.SyntaxKind.NumberKeyword) return 'int';
  if (node.kind === ts.SyntaxKind.BooleanKeyword) return 'bool';
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === 'Array') return `[]${typeString(node.typeArguments![0]!, want)}`;
    const alias = aliasTypes[name];
    if (alias) return alias;
    if (!interfaces.has(name)) throw new Error(`unknown type ${name}`);
    want.add(name);
    return name;
  }
  if (ts.isTypeLiteralNode(node)) {
    const sig = node.members[0];
    if (sig && ts.isIndexSignatureDeclaration(sig)) return `map[string]${typeString(sig.type, want)}`;
  }
  if (ts.isArrayTypeNode(node)) return `[]${typeString(node.elementType, want)}`;
  throw new Error(`unsupported type ${node.getText()}`);
}

/** Every struct reachable from the served kinds, field name to type, from the installed kubernetes-types. */
export function generateStructs(): Record<string, Record<string, string>> {
  loadInterfaces();
  const out: Record<string, Record<string, string>> = {};
  const queue = new Set<string>(roots);
  for (const name of queue) {
    const decl = interfaces.get(name);
    if (!decl) {
      if (name in extraStructs) continue;
      throw new Error(`no interface ${name}`);
    }
    const fields: Record<string, string> = {};
    for (const m of decl.members) {
      if (!ts.isPropertySignature(m) || !m.type) continue;
      const key = m.name.getText().replace(/^"|"$/g, '');
      fields[key] = bytesFields[name]?.[key] ?? typeString(m.type, queue);
    }
    out[name] = fields;
  }
  return { ...out, ...extraStructs };
}

/** The JSDoc before a node: the text of its last `/** … *\/` comment, its ` * ` line prefixes removed. */
function docOf(node: ts.Node, text: string): string {
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  const last = ranges.filter((r) => text.startsWith('/**', r.pos)).at(-1);
  if (!last) return '';
  const body = text.slice(last.pos + 3, last.end - 2);
  const lines = body.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
  return lines
    .filter((l) => !/^@(default|deprecated|see)\b/.test(l))
    .join('\n')
    .trim();
}

export interface StructDoc {
  description: string;
  fields: Record<string, string>;
}

/** The documentation of every struct generateStructs emits: the type's and each field's. */
export function generateDescriptions(): Record<string, StructDoc> {
  const structs = generateStructs();
  const out: Record<string, StructDoc> = {};
  for (const name of Object.keys(structs).sort()) {
    const decl = interfaces.get(name);
    if (decl === undefined) {
      out[name] = extraDocs[name] ?? { description: '', fields: {} };
      continue;
    }
    const text = sources.get(decl)!;
    const fields: Record<string, string> = {};
    for (const m of decl.members) {
      if (!ts.isPropertySignature(m)) continue;
      const doc = docOf(m, text);
      if (doc) fields[m.name.getText().replace(/^"|"$/g, '')] = doc;
    }
    out[name] = { description: docOf(decl, text), fields };
  }
  return out;
}

/** Upstream's documentation of extraStructs (kube-aggregator's apiregistration/v1 types.go), first sentences. */
const extraDocs: Record<string, StructDoc> = {
  APIService: {
    description:
      'APIService represents a server for a particular GroupVersion. Name must be "version.group".',
    fields: {
      spec: 'Spec contains information for locating and communicating with a server',
      status: 'Status contains derived information about an API server',
    },
  },
  APIServiceSpec: {
    description:
      'APIServiceSpec contains information for locating and communicating with a server. Only https is supported, though you are able to disable certificate verification.',
    fields: {
      service:
        'Service is a reference to the service for this API server.  It must communicate on port 443. If the Service is nil, that means the handling for the API groupversion is handled locally on this server. The call will simply delegate to the normal handler chain to be fulfilled.',
      group: 'Group is the API group name this server hosts',
      version: 'Version is the API version this server hosts.  For example, "v1"',
      insecureSkipTLSVerify:
        'InsecureSkipTLSVerify disables TLS certificate verification when communicating with this server. This is strongly discouraged.  You should use the CABundle instead.',
      caBundle:
        "CABundle is a PEM encoded CA bundle which will be used to validate an API server's serving certificate. If unspecified, system trust roots on the apiserver are used.",
      groupPriorityMinimum:
        'GroupPriorityMinimum is the priority this group should have at least. Higher priority means that the group is preferred by clients over lower priority ones.',
      versionPriority:
        'VersionPriority controls the ordering of this API version inside of its group.  Must be greater than zero.',
    },
  },
  APIServiceServiceReference: {
    description: 'ServiceReference holds a reference to Service.legacy.k8s.io',
    fields: {
      namespace: 'Namespace is the namespace of the service',
      name: 'Name is the name of the service',
      port: 'If specified, the port on the service that hosting webhook. Default to 443 for backward compatibility. `port` should be a valid port number (1-65535, inclusive).',
    },
  },
  APIServiceStatus: {
    description: 'APIServiceStatus contains derived information about an API server',
    fields: { conditions: 'Current service state of apiService.' },
  },
  APIServiceCondition: {
    description: 'APIServiceCondition describes the state of an APIService at a particular point',
    fields: {},
  },
};

/** The text of descriptions.generated.ts. */
export function generateDescriptionsSource(): string {
  const docs = generateDescriptions();
  let body = '';
  for (const [n, d] of Object.entries(docs)) {
    body += `  ${n}: {\n    description: ${JSON.stringify(d.description)},\n    fields: {\n`;
    for (const [k, v] of Object.entries(d.fields)) {
      body += `      ${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${JSON.stringify(v)},\n`;
    }
    body += '    },\n  },\n';
  }
  return `// GENERATED by src/api/schema/generate.ts from kubernetes-types' JSDoc (Kubernetes v1.30). Do not edit by hand.
// Upstream's documentation of each struct in types.generated.ts and of its fields, for the OpenAPI documents.

export interface StructDoc {
  description: string;
  fields: Readonly<Record<string, string>>;
}

export const DESCRIPTIONS: Readonly<Record<string, StructDoc>> = {
${body}};
`;
}

const HEADER = `// GENERATED by src/api/schema/generate.ts from kubernetes-types (Kubernetes v1.30). Do not edit by hand.
// Each struct maps its JSON field names to a type: string, int, bool, intOrString, quantity, time, bytes (base64),
// any (free-form JSON), []T, map[string]T, or another struct's name.

export const STRUCTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
`;

/** The text of types.generated.ts. */
export function generateSchemaSource(): string {
  const structs = generateStructs();
  let body = '';
  for (const n of Object.keys(structs).sort()) {
    body += `  ${n}: {\n`;
    for (const [k, v] of Object.entries(structs[n]!)) {
      body += `    ${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: '${v}',\n`;
    }
    body += '  },\n';
  }
  return `${HEADER}${body}};\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(new URL('./types.generated.ts', import.meta.url), generateSchemaSource());
  writeFileSync(new URL('./descriptions.generated.ts', import.meta.url), generateDescriptionsSource());
  console.log('wrote src/api/schema/types.generated.ts and src/api/schema/descriptions.generated.ts');
}
