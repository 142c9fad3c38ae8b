// The inputs fuzzing starts from: every example manifest of the repository (the broken ones too), as text and
// as objects, and a few objects of the kinds the examples do not show.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(dir, e.name)) : e.name.endsWith('.yaml') ? [join(dir, e.name)] : [],
  );
}

export const TEXTS: string[] = yamlFiles(EXAMPLES).map((f) => readFileSync(f, 'utf8'));

/** Objects of every kind podrun serves: the examples (broken ones included) and a few written here. */
export const CORPUS: Record<string, unknown>[] = [
  ...TEXTS.flatMap((t) => parseAllDocuments(t) as unknown as Array<{ toJS(): unknown }>).map(
    (d) => d.toJS() as Record<string, unknown>,
  ),
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels: { a: 'b' } } },
  {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's' },
    type: 'Opaque',
    data: { password: 'cGFzcw==' },
    stringData: { user: 'u' },
  },
  { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' }, automountServiceAccountToken: false },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'web' },
    subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
  },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }],
    ports: [{ name: 'http', port: 80 }],
  },
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'e' },
    involvedObject: { kind: 'Pod', name: 'p' },
    reason: 'Started',
    message: 'm',
    type: 'Normal',
  },
];
