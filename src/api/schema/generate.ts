// Regenerates types.generated.ts from the kubernetes-types declarations (v1.30), so the strict decoder knows every
// field of every kind podrun serves without hand-copying ~150 structs. Dev tool only (needs the `typescript`
// devDependency): `node --import tsx src/api/schema/generate.ts`.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

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

function loadInterfaces(): void {
  if (interfaces.size > 0) return;
  for (const f of files) {
    const text = readFileSync(join(root, f), 'utf8');
    const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
    for (const st of sf.statements) {
      if (ts.isInterfaceDeclaration(st) && !interfaces.has(st.name.text)) interfaces.set(st.name.text, st);
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
    if (!decl) throw new Error(`no interface ${name}`);
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
  console.log('wrote src/api/schema/types.generated.ts');
}
