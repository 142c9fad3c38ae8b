import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatManifestError, loadManifests, parseManifests, STDIN_NAME } from '../../src/api/manifests.js';

function errorsOf(text: string): string[] {
  return parseManifests(text, 'm.yaml').errors.map(formatManifestError);
}

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - name: app
      image: busybox:1.36
`;

describe('YAML 1.1 like kubectl', () => {
  test('a leading-zero number is octal (defaultMode: 0644 is 420) and yes/on are true', () => {
    const r = parseManifests(
      `${POD}      tty: yes
      stdin: on
  volumes:
    - name: cfg
      configMap:
        name: c
        defaultMode: 0644
`,
      'm.yaml',
    );
    assert.deepEqual(r.errors, []);
    const spec = r.documents[0]!.object.spec as {
      volumes: { configMap: { defaultMode: number } }[];
      containers: { tty: boolean; stdin: boolean }[];
    };
    assert.equal(spec.volumes[0]!.configMap.defaultMode, 420);
    assert.equal(spec.containers[0]!.tty, true);
    assert.equal(spec.containers[0]!.stdin, true);
  });

  test('dates stay strings and 1:30 is not a base-60 number', () => {
    const r = parseManifests(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  annotations:\n    released: 2024-01-02\ndata:\n  t: 1:30\n',
      'm.yaml',
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.documents[0]!.object.data, { t: '1:30' });
    assert.deepEqual(r.documents[0]!.object.metadata.annotations, { released: '2024-01-02' });
  });

  test('anchors and merge keys work as in go-yaml v2', () => {
    const r = parseManifests(
      `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
    - &base
      name: a
      image: busybox:1.36
      env: [{ name: MODE, value: x }]
    - <<: *base
      name: b
`,
      'm.yaml',
    );
    assert.deepEqual(r.errors, []);
    const containers = (r.documents[0]!.object.spec as { containers: Record<string, unknown>[] }).containers;
    assert.deepEqual(containers[1], {
      name: 'b',
      image: 'busybox:1.36',
      env: [{ name: 'MODE', value: 'x' }],
    });
  });

  test('a duplicate key is an error at the second key', () => {
    assert.deepEqual(errorsOf('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  name: d\n'), [
      'm.yaml:5:3: YAML: Map keys must be unique',
    ]);
  });

  test('a syntax error is located', () => {
    const errs = errorsOf('apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n bad: indent\n');
    assert.ok(errs.length >= 1);
    assert.match(errs[0]!, /^m\.yaml:5:\d+: YAML: /);
  });
});

describe('documents', () => {
  test('empty and comment-only documents are skipped; positions and indexes are per document', () => {
    const r = parseManifests(
      `---\n# nothing here\n---\n${POD}---\n---\n${POD.replace('name: p', 'name: q')}`,
      'm.yaml',
    );
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.documents.map((d) => [d.object.metadata.name, d.line, d.col, d.index]),
      [
        ['p', 4, 1, 1],
        ['q', 14, 1, 3],
      ],
    );
  });

  test('a List expands into its items, and errors inside items are located', () => {
    const text = `apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: a
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: B
`;
    const r = parseManifests(text, 'm.yaml');
    assert.deepEqual(r.errors.map(formatManifestError), [
      `m.yaml:11:7: metadata.name: Invalid value: "B": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ]);
    assert.deepEqual(
      r.documents.map((d) => [d.object.metadata.name, d.line]),
      [['a', 4]],
    );
  });

  test('a document that is not a mapping, or lacks apiVersion and kind, is reported', () => {
    assert.deepEqual(errorsOf('- a\n- b\n'), [
      'm.yaml:1:1: document is not a Kubernetes object: expected a mapping with apiVersion and kind, got a sequence',
    ]);
    assert.deepEqual(errorsOf('metadata:\n  name: x\n'), [
      'm.yaml:1:1: apiVersion not set',
      'm.yaml:1:1: kind not set',
    ]);
  });

  test('an unknown kind names the known ones', () => {
    const errs = errorsOf('apiVersion: v1\nkind: Frob\nmetadata:\n  name: x\n');
    assert.equal(errs.length, 1);
    assert.match(
      errs[0]!,
      /^m\.yaml:2:1: no matches for kind "Frob" in version "v1": podrun knows Namespace \(v1\), Pod \(v1\), .*Deployment \(apps\/v1\).*Job \(batch\/v1\), .*EndpointSlice \(discovery\.k8s\.io\/v1\), .*StatefulSet \(apps\/v1\).*, and List$/,
    );
  });

  test('documents come back decoded but not defaulted', () => {
    const obj = parseManifests(POD, 'm.yaml').documents[0]!.object;
    assert.deepEqual(obj.spec, { containers: [{ name: 'app', image: 'busybox:1.36' }] });
  });
});

describe('error positions', () => {
  test('an unknown field points at its key, a bad value at its key, a missing field at its parent', () => {
    const text = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  initContainers:
    - name: app
      image: busybox:1.36
    - name: wait
  containers:
    - name: app
      imagee: busybox
      image: busybox:1.36
`;
    assert.deepEqual(errorsOf(text), [
      'm.yaml:7:7: spec.initContainers[0].name: Duplicate value: "app"',
      'm.yaml:9:7: spec.initContainers[1].image: Required value',
      'm.yaml:12:7: unknown field "spec.containers[0].imagee"',
    ]);
  });

  test('field errors keep their field path for callers', () => {
    const r = parseManifests(
      POD.replace('image: busybox:1.36', 'image: busybox:1.36\n      restartPolicy: Always'),
      'm.yaml',
    );
    assert.deepEqual(r.errors, [
      {
        file: 'm.yaml',
        line: 9,
        col: 7,
        message: 'spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers',
        field: 'spec.containers[0].restartPolicy',
      },
    ]);
  });

  test('template labels reported at spec.template.labels are located under template metadata', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector:
    matchLabels:
      app: d
  template:
    metadata:
      labels:
        app: d
        bad: "a b"
    spec:
      containers:
        - name: c
          image: x:1
`;
    const errs = errorsOf(text);
    assert.equal(errs.length, 1);
    assert.match(errs[0]!, /^m\.yaml:11:7: spec\.template\.labels: Invalid value: "a b": /);
  });
});

describe('loadManifests sources', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'podrun-manifests-'));
    await writeFile(join(dir, 'b.yaml'), POD.replace('name: p', 'name: b'));
    await writeFile(join(dir, 'a.yml'), POD.replace('name: p', 'name: a'));
    await writeFile(
      join(dir, 'c.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }),
    );
    await writeFile(join(dir, 'notes.txt'), 'not a manifest');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'd.yaml'), POD.replace('name: p', 'name: d'));
    await mkdir(join(dir, 'empty'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a directory gives its .yaml, .yml and .json files in name order, not recursing by default', async () => {
    const r = await loadManifests([dir]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.documents.map((d) => d.object.metadata.name),
      ['a', 'b', 'c'],
    );
    const deep = await loadManifests([dir], { recursive: true });
    assert.deepEqual(
      deep.documents.map((d) => d.object.metadata.name),
      ['a', 'b', 'c', 'd'],
    );
  });

  test('a missing path and an empty directory are errors', async () => {
    const missing = join(dir, 'nope.yaml');
    const r = await loadManifests([missing, join(dir, 'empty')]);
    assert.deepEqual(r.errors.map(formatManifestError), [
      `${missing}: the path "${missing}" does not exist`,
      `${join(dir, 'empty')}: no manifest files (*.yaml, *.yml, *.json) in this directory`,
    ]);
  });

  test('- reads stdin', async () => {
    const r = await loadManifests(['-'], { readStdin: async () => POD });
    assert.deepEqual(r.errors, []);
    assert.equal(r.documents[0]!.file, STDIN_NAME);
  });

  test('one bad file makes the whole load fail while the good documents are still listed', async () => {
    const bad = join(dir, 'sub', 'bad.yaml');
    await writeFile(bad, POD.replace('image: busybox:1.36', 'image: ""'));
    const r = await loadManifests([join(dir, 'b.yaml'), bad]);
    assert.equal(r.errors.length, 1);
    assert.equal(formatManifestError(r.errors[0]!), `${bad}:8:7: spec.containers[0].image: Required value`);
    await rm(bad);
  });
});
